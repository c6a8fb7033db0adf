import CreditKernel
import Foundation
import Testing

@Suite("Receipt JSON written without the encoder")
struct ReceiptJSONTests {
    /// Every control character, quotes, backslashes, slashes and JSON punctuation inside values.
    static let awkward = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + #"{"a":[1,2]}, \"/\\ 中文 \u{2028}"#

    static let receipt = Receipt(
        batch: "B1", resource: "admin_penalty", sourceUnit: "11330100002501984R", channel: .commandLine, fileName: "a.csv", format: .csv,
        encoding: .gb18030, status: .completed, receivedAt: Date(timeIntervalSince1970: 1_700_000_000), completedAt: nil,
        rows: RowCounts(total: 4, accepted: 1, fixed: 1, rejected: 1, duplicate: 0, conflict: 1), quality: nil, unknownColumns: ["x"],
        missingColumns: [], batchProblems: [],
        problems: [
            ProblemRow(row: 2, status: .rejected, issues: [Issue(field: "CF_WSH", code: .required, message: awkward, messageEnglish: "missing")]),
            ProblemRow(row: 3, status: .fixed, issues: [Issue(field: nil, code: .normalised, message: "m", messageEnglish: "e", original: awkward, value: "v")]),
            ProblemRow(row: 4, status: .duplicate, issues: []),
            ProblemRow(
                row: 5, status: .conflict, issues: [Issue(field: nil, code: .conflict, message: "冲突", messageEnglish: "conflict")],
                conflict: ConflictReference(id: "c-1", storedBatch: "B0", storedRow: 9, storedSourceUnit: awkward, storedVersion: 2)
            ),
        ]
    )

    @Test("Pages of rows written as JSON give the text the encoder writes for the whole receipt", arguments: [true, false])
    func sameAsEncoder(pretty: Bool) async throws {
        let expected = String(decoding: try ReceiptJSON.encoder(pretty: pretty).encode(Self.receipt), as: UTF8.self)
        #expect(try await Self.written(pretty: pretty, indent: "") == expected)
    }

    @Test("Inside an array every line after the first is indented once more")
    func indented() async throws {
        let whole = String(decoding: try ReceiptJSON.encoder(pretty: true).encode(Self.receipt), as: UTF8.self)
        let expected = "  " + whole.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0 == 0 || $1.isEmpty ? String($1) : "  " + $1 }.joined(separator: "\n")
        #expect(try await Self.written(pretty: true, indent: "  ") == expected)
    }

    @Test("Issues written by hand are the encoder's text")
    func issues() throws {
        let issues = Self.receipt.problems.flatMap(\.issues)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(JSONText.issues(issues) == String(decoding: try encoder.encode(issues), as: UTF8.self))
    }

    @Test("Strings are escaped wherever the character falls among the eight-byte words")
    func escapingAtEveryOffset() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for special in ["\"", "\\", "\n", "\u{1}", "\u{1F}", "/", "\u{7F}", "中"] {
            for offset in 0..<17 {
                let text = String(repeating: "a", count: offset) + special + "行政处罚决定书文号" + special
                var output: [UInt8] = []
                JSONText.appendString(text, to: &output)
                #expect(String(decoding: output, as: UTF8.self) == String(decoding: try encoder.encode(text), as: UTF8.self))
            }
        }
    }

    static func written(pretty: Bool, indent: String) async throws -> String {
        var summary = receipt
        summary.problems = []
        var text = ""
        try await ReceiptJSON.write(summary, pretty: pretty, indent: indent, problems: { after in
            // Two rows a page.
            try receipt.problems.filter { $0.row > after }.prefix(2).map(JSONText.problemRow)
        }, to: { text += $0 })
        return text
    }
}

@Suite("Issue codes")
struct IssueCodeTests {
    @Test("Every issue code a receipt can carry is a row of docs/receipts.md's table, and the table names no other")
    func documented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("docs/receipts.md"), encoding: .utf8)
        let table = document.components(separatedBy: "## Issue codes").last?.components(separatedBy: "\n## ").first ?? ""
        let documented = Set(table.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
        #expect(documented == Set(IssueCode.allCases.map(\.rawValue)))
    }
}
