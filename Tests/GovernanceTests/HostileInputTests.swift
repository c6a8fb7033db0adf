import CreditHubTestSupport
import CreditKernel
import Foundation
@testable import Governance
import Testing

/// Damaged and crafted artefacts cost bounded memory and time and are answered: a record too long
/// is rejected and reading goes on; a damaged sheet is reported. None of them traps or stalls.
@Suite("Hostile and damaged input")
struct HostileInputTests {
    /// Everything a decoder gives for `bytes` written as a file of `format`.
    static func records(_ bytes: [UInt8], format: ArtefactFormat) throws -> [SourceRecord] {
        let path = Scratch.path("hostile")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try records(path: path, format: format)
    }

    static func records(path: String, format: ArtefactFormat) throws -> [SourceRecord] {
        let source = try ArtefactDecoding.open(path: path, format: format, declaredEncoding: nil)
        var records: [SourceRecord] = []
        while let record = try source.next() { records.append(record) }
        return records
    }

    /// The sheet's records, for a workbook whose sheet data is `rows` (XML).
    static func sheet(_ rows: String, sharedStrings: String = "<sst/>") throws -> [SourceRecord] {
        let path = Scratch.path("hostile", ".xlsx")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try XLSXBuilder.write(sheetXML: "<worksheet><sheetData>\(rows)</sheetData></worksheet>", sharedStringsXML: sharedStrings, to: path)
        return try records(path: path, format: .xlsx)
    }

    /// Records in brief, so a failure does not print megabytes.
    static func brief(_ records: [SourceRecord]) -> [String] {
        records.map { record in
            switch record {
            case .positional(let row): row.cells.map { String($0.prefix(16)) }.joined(separator: "|")
            case .keyed(let pairs): pairs.map { "\($0.0)=\($0.1.prefix(16))" }.joined(separator: "|")
            case .json(let bytes): String(decoding: bytes.prefix(16), as: UTF8.self)
            case .tooLong: "too long"
            }
        }
    }

    static func cells(_ records: [SourceRecord]) -> [[String]?] {
        records.map { record in
            if case .positional(let row) = record { return row.cells }
            return nil
        }
    }

    static let overLimit = String(repeating: "长", count: DecodingLimits.maximumRecordBytes / 3 + 10)

    @Test("A CSV record past the limit is cut, skipped to its line end and marked; the rows after it read as usual", arguments: [1, 7, 64, Int.max])
    func longCSVRecord(chunk: Int) {
        let long = String(repeating: "x", count: 100)
        let text = "a,b\n\(long),y\r\n1,2\n\(String(repeating: ",", count: 60))\n\"\(long)\",\"q\n\(long)\"\n3,4"
        let rows = CSVParsingTests.parseRows(text, chunk: chunk, maximumRecord: 50)
        // Skipping ignores quotes: the quoted line break ends the cut record, and the rest of that
        // line is one more record too long.
        #expect(rows.map(\.isTruncated) == [false, true, false, true, true, true, false])
        #expect(rows.filter { !$0.isTruncated }.map(\.cells) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(rows.filter(\.isTruncated).allSatisfy { $0.isEmpty }, "a cut record keeps nothing of what it held")
    }

    @Test("A CSV or JSON Lines file with a line longer than any record gives that line as too long, and the lines around it")
    func longLines() throws {
        let csv = try Self.records(Array("行政相对人名称,备注\n甲,1\n乙,\(Self.overLimit)\n丙,3".utf8), format: .csv)
        #expect(Self.brief(csv) == ["行政相对人名称|备注", "甲|1", "too long", "丙|3"])

        let lines = try Self.records(Array("{\"a\":\"1\"}\n{\"a\":\"\(Self.overLimit)\"}\n{\"a\":\"3\"}\n{\"a\":\"\(Self.overLimit)\"}".utf8), format: .jsonLines)
        #expect(Self.brief(lines) == [#"{"a":"1"}"#, "too long", #"{"a":"3"}"#, "too long"])
    }

    @Test("A sheet row past the limit is too long; the next rows read as usual")
    func longSheetRow() throws {
        let half = #"<c t="inlineStr"><is><t>"# + String(repeating: "x", count: DecodingLimits.maximumRecordBytes / 2 + 10) + "</t></is></c>"
        let records = try Self.sheet(
            #"<row r="1"><c t="inlineStr"><is><t>a</t></is></c></row><row r="2">"# + half + half
                + #"<c t="inlineStr"><is><t>b</t></is></c></row><row r="3"><c t="inlineStr"><is><t>c</t></is></c></row>"#
        )
        #expect(Self.brief(records) == ["a", "too long", "c"])
    }

    @Test("References beyond Excel's sheet are a damaged sheet, not a trap or a billion empty cells", arguments: [
        #"<row r="1"><c r="AAAAAAAAAAAAAAAAAAAA1"><v>1</v></c></row>"#,
        #"<row r="1"><c r="ZZZZZZ1"><v>1</v></c></row>"#,
        #"<row r="1"><c r="XFE1"><v>1</v></c></row>"#,
        #"<row r="999999999999"><c><v>1</v></c></row>"#,
        #"<row r="1048577"><c><v>1</v></c></row>"#,
    ])
    func referencesBeyondTheSheet(rows: String) throws {
        let error = #expect(throws: CreditHubError.self) { try Self.sheet(rows) }
        #expect(error?.code == "unreadable")
        #expect(error?.chineseMessage?.contains("工作表已损坏") == true)
    }

    @Test("The last column and row Excel has are read; row numbers that do not ascend count as the next row")
    func sheetEdges() throws {
        let records = try Self.sheet(
            #"<row r="2"><c r="XFD2"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row><row r="1"><c r="B1"><v>3</v></c></row>"#
                + #"<row r="1048576"><c r="A1048576"><v>4</v></c></row>"#
        )
        let cells = Self.cells(records)
        #expect(cells.count == 1_048_576)
        #expect(cells[0] == [String]())
        #expect(cells[1]?.count == 16_384)
        #expect(cells[1]?.last == "1")
        #expect(cells[2] == ["2"])
        #expect(cells[3] == ["", "3"])
        #expect(cells.last == ["4"])
    }

    @Test("A row's cells in reverse order land in their columns")
    func reversedCells() throws {
        let cells = (0..<2_000).reversed().map { #"<c r="\#(XLSXBuilder.columnName($0))1"><v>\#($0)</v></c>"# }.joined()
        let records = try Self.sheet(#"<row r="1">\#(cells)</row>"#)
        #expect(Self.cells(records) == [(0..<2_000).map(String.init)])
    }

    @Test("A workbook part that inflates past the limit is refused, not read whole")
    func workbookBomb() throws {
        let path = Scratch.path("hostile", ".xlsx")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let workbook = "<workbook><sheets><sheet name=\"S\" r:id=\"rId1\"/></sheets><!--" + String(repeating: " ", count: DecodingLimits.maximumWorkbookPart) + "--></workbook>"
        try XLSXBuilder.write(sheetXML: "<worksheet/>", sharedStringsXML: "<sst/>", to: path, workbookXML: workbook)
        let error = #expect(throws: CreditHubError.self) { try Self.records(path: path, format: .xlsx) }
        #expect(error?.chineseMessage?.contains("解压后超过") == true)
    }

    @Test("A shared string or XML token past the limit is a damaged sheet")
    func longTokens() throws {
        let sharedString = #expect(throws: CreditHubError.self) {
            try Self.sheet(#"<row r="1"><c t="s"><v>0</v></c></row>"#, sharedStrings: "<sst><si><t>\(Self.overLimit)</t></si></sst>")
        }
        #expect(sharedString?.code == "unreadable")

        var scanner = XMLScanner(maximumToken: 64)
        var tokens = 0
        scanner.feed(Array("<row><c>".utf8))
        try scanner.scan { _, _ in tokens += 1 }
        #expect(tokens == 2)
        scanner.feed(Array(String(repeating: "x", count: 40).utf8))
        try scanner.scan { _, _ in tokens += 1 }
        #expect(tokens == 2, "a text node still within the limit waits for more")
        scanner.feed(Array(String(repeating: "x", count: 40).utf8))
        #expect(throws: CreditHubError.self) { try scanner.scan { _, _ in } }
        var tag = XMLScanner(maximumToken: 64)
        tag.feed(Array(("<c r=\"" + String(repeating: "A", count: 100)).utf8))
        #expect(throws: CreditHubError.self) { try tag.scan { _, _ in } }
    }
}
