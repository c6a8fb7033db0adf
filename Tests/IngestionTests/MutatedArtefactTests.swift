import CreditHubTestSupport
import CreditKernel
import Foundation
import Governance
import Ingestion
import SampleData
import Testing

/// Seeded mutations of realistic files in every format: stray quotes and tags, cut and repeated
/// spans, broken multi-byte characters, references beyond the sheet. Whatever the bytes,
/// validation answers with a receipt whose counts add up; it never traps or stalls.
/// `CREDITHUB_FUZZ_ITERATIONS` runs more of them (the default keeps `make test` quick), from seed
/// `CREDITHUB_FUZZ_FIRST_SEED` (0), so a long run can go on where the last one stopped.
@Suite("Mutated artefacts", .timeLimit(.minutes(5)))
struct MutatedArtefactTests {
    static let resource = Catalogue.standard.resource("admin_penalty")!
    static let seeds: Range<Int> = {
        let environment = ProcessInfo.processInfo.environment
        let first = environment["CREDITHUB_FUZZ_FIRST_SEED"].flatMap(Int.init) ?? 0
        return first..<(first + (environment["CREDITHUB_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 120))
    }()

    /// Header and rows from the sample generator, defects included.
    static let sample: (header: [String], rows: [[String]]) = {
        var generator = SampleGenerator(resource: resource, seed: 7)
        return (generator.header, (0..<24).map { _ in generator.nextRow() })
    }()

    static let fragments: [[UInt8]] = [
        "\"", ",", "\n", "\r", "\r\n", "\t", ";", "<", ">", "/>", "&", "&#x", "&#99999999;", "&amp", "{", "}", "[", "]", ":", "\\", "\u{0}",
        "\"\"", "</c>", "<c r=\"XFD1\">", "<c r=\"ZZZZZZZ9\">", "<row r=\"1048576\">", "<row r=\"99999999999\">", "<row>", "</row>", "<v>",
        "</v>", "<t>", "</t>", "<si>", "<![CDATA[", "]]>", "<!--", "-->", "<c t=\"s\"><v>99999</v></c>", "表格说明", "行政相对人名称",
    ].map { Array($0.utf8) } + [[0xFF], [0xE4], [0xE4, 0xB8], [0xEF, 0xBB, 0xBF], [0xFE, 0xFF], [0x81, 0x30]]

    /// A few random edits of `bytes`: a byte changed, a fragment inserted or repeated, a span
    /// deleted or repeated, the end cut.
    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let at = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where at < bytes.count:
                bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 1:
                bytes.insert(contentsOf: fragments.randomElement(using: &random)!, at: at)
            case 2:
                let fragment = fragments.randomElement(using: &random)!
                bytes.insert(contentsOf: Array([[UInt8]](repeating: fragment, count: Int.random(in: 2...3_000, using: &random)).joined()), at: at)
            case 3:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...200, using: &random)))
            case 4:
                let span = Array(bytes[at..<min(bytes.count, at + Int.random(in: 1...2_000, using: &random))])
                bytes.insert(contentsOf: span, at: Int.random(in: 0...bytes.count, using: &random))
            default:
                if Int.random(in: 0..<4, using: &random) == 0 { bytes.removeSubrange(at...) }
            }
        }
        return bytes
    }

    /// Validates `bytes` written as a file of `format` and checks the receipt holds together.
    static func validate(_ bytes: [UInt8], format: ArtefactFormat, seed: Int) async throws {
        let path = Scratch.path("mutated")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await check(path: path, format: format, seed: seed)
    }

    static func check(path: String, format: ArtefactFormat, seed: Int) async throws {
        let receipt = try await FileValidation.validate(
            path: path, resource: resource, sourceUnit: PenaltyRows.submitter, format: format, encoding: nil, chunkRows: 7
        )
        let rows = receipt.rows
        #expect(rows.total == rows.accepted + rows.rejected + rows.duplicate + rows.conflict, "\(format) seed \(seed)")
        #expect(rows.fixed <= rows.accepted, "\(format) seed \(seed)")
        #expect((receipt.status == .completed) == receipt.batchProblems.isEmpty, "\(format) seed \(seed): \(receipt.batchProblems)")
        #expect(receipt.problems.map(\.row) == receipt.problems.map(\.row).sorted(), "\(format) seed \(seed)")
        #expect(receipt.problems.count <= rows.total, "\(format) seed \(seed)")
    }

    @Test("Mutated CSV, in UTF-8 and GB18030")
    func csv() async throws {
        let text = ([Self.sample.header] + Self.sample.rows).map { $0.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: ",") }
            .joined(separator: "\r\n")
        let seeds = [Array(text.utf8), SampleCodes.gb18030(text)]
        for seed in Self.seeds {
            var random = SplitMix64(seed: UInt64(seed))
            try await Self.validate(Self.mutate(seeds[seed % 2], &random), format: .csv, seed: seed)
        }
    }

    @Test("Mutated JSON Lines and JSON documents")
    func json() async throws {
        let objects = Self.sample.rows.map { row in
            String(decoding: try! JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: zip(Self.sample.header, row).map { ($0, $1) })), as: UTF8.self)
        }
        let lines = Array(objects.joined(separator: "\n").utf8)
        let document = Array(("{\"records\": [" + objects.joined(separator: ",\n") + "]}").utf8)
        for seed in Self.seeds {
            var random = SplitMix64(seed: UInt64(seed))
            try await Self.validate(Self.mutate(lines, &random), format: .jsonLines, seed: seed)
            try await Self.validate(Self.mutate(document, &random), format: .json, seed: seed)
        }
    }

    @Test("Mutated XLSX sheets and shared strings, and damaged zips")
    func xlsx() async throws {
        var strings: [String] = []
        var sheet = "<worksheet><sheetData>"
        for (number, row) in ([Self.sample.header] + Self.sample.rows).enumerated() {
            sheet += "<row r=\"\(number + 1)\">"
            for (column, cell) in row.enumerated() where !cell.isEmpty {
                strings.append(XLSXBuilder.escape(cell))
                sheet += "<c r=\"\(XLSXBuilder.columnName(column))\(number + 1)\" t=\"s\"><v>\(strings.count - 1)</v></c>"
            }
            sheet += "</row>"
        }
        sheet += "</sheetData></worksheet>"
        let sharedStrings = "<sst>" + strings.map { "<si><t>\($0)</t></si>" }.joined() + "</sst>"
        let path = Scratch.path("mutated", ".xlsx")
        defer { try? FileManager.default.removeItem(atPath: path) }
        for seed in Self.seeds {
            var random = SplitMix64(seed: UInt64(seed))
            let mutatedSheet = String(decoding: Self.mutate(Array(sheet.utf8), &random), as: UTF8.self)
            let mutatedStrings = seed % 3 == 0 ? String(decoding: Self.mutate(Array(sharedStrings.utf8), &random), as: UTF8.self) : sharedStrings
            try XLSXBuilder.write(sheetXML: mutatedSheet, sharedStringsXML: mutatedStrings, to: path)
            try await Self.check(path: path, format: .xlsx, seed: seed)
            if seed % 4 == 0 {
                // The zip itself damaged: a changed byte, a cut, a repeat.
                try await Self.validate(Self.mutate(Array(try Data(contentsOf: URL(fileURLWithPath: path))), &random), format: .xlsx, seed: seed)
            }
        }
    }
}
