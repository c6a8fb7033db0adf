import CreditHubTestSupport
import CreditKernel
import Foundation
@testable import Governance
import Testing

@Suite("CSV parsing")
struct CSVParsingTests {
    static func parse(_ text: String, chunk: Int = .max) -> [[String]] {
        parseRows(text, chunk: chunk).map(\.cells)
    }

    static func parseRows(_ text: String, chunk: Int = .max, maximumQuotedCell: Int = 1 << 20, maximumRecord: Int = 4 << 20) -> [TextRow] {
        let bytes = Array(text.utf8)
        var parser = CSVParser(maximumQuotedCell: maximumQuotedCell, maximumRecord: maximumRecord)
        var records: [TextRow] = []
        var start = 0
        repeat {
            let end = min(bytes.count, start + max(1, min(chunk, bytes.count)))
            bytes[start..<end].withUnsafeBufferPointer { buffer in
                parser.parse(buffer, final: end == bytes.count) { records.append($0) }
            }
            start = end
        } while start < bytes.count
        return records
    }

    static let tricky = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line1\r\nline2\"\r\nplain,,last\nlone\rcr,\"\",end"

    @Test("Quoted delimiters, doubled quotes, line breaks in quotes, CRLF, LF and lone CR")
    func rfc4180() {
        let expected: [[String]] = [
            ["a", "b", "c"],
            ["x, y", "say \"hi\"", "line1\r\nline2"],
            ["plain", "", "last"],
            ["lone"],
            ["cr", "", "end"],
        ]
        #expect(Self.parse(Self.tricky) == expected)
    }

    @Test("The same records whatever the chunk size", arguments: [1, 2, 3, 7, 64])
    func chunkBoundaries(chunk: Int) {
        #expect(Self.parse(Self.tricky, chunk: chunk) == Self.parse(Self.tricky))
    }

    @Test("A trailing delimiter at the end of the file gives an empty last field")
    func trailingDelimiter() {
        #expect(Self.parse("a,b,") == [["a", "b", ""]])
        #expect(Self.parse("a,b\n") == [["a", "b"]])
    }

    @Test("A quote never closed is read as text and the rows after it are not swallowed", arguments: [1, 5, 64, Int.max])
    func unclosedQuoteAtEnd(chunk: Int) {
        let text = "a,b,c\n1,\"stray,x\n2,\"ok, quoted\",\"say \"\"hi\"\"\"\r\n3,\"multi\nline\",z\n"
        let rows = Self.parseRows(text, chunk: chunk)
        #expect(rows.map(\.cells) == [["a", "b", "c"], ["1", "\"stray", "x"], ["2", "ok, quoted", "say \"hi\""], ["3", "multi\nline", "z"]])
        #expect(rows.map(\.hasUnclosedQuote) == [false, true, false, false])
    }

    @Test("A quoted cell longer than any field ends as a stray quote before the file does", arguments: [1, 7, Int.max])
    func unclosedQuoteCapped(chunk: Int) throws {
        let body = (1...40).map { "\($0),plain,text" }.joined(separator: "\n")
        let text = "a,b,c\n0,\"stray,x\n" + body + "\n41,\"never closed"
        let rows = Self.parseRows(text, chunk: chunk, maximumQuotedCell: 100)
        try #require(rows.count == 43)
        #expect(rows[1].cells == ["0", "\"stray", "x"])
        #expect(rows[2].cells == ["1", "plain", "text"])
        #expect(rows[41].cells == ["40", "plain", "text"])
        #expect(rows[42].cells == ["41", "\"never closed"])
        #expect(rows.indices.filter { rows[$0].hasUnclosedQuote } == [1, 42])
    }

    @Test("Any text parses to the same rows however it is split into reads, stray quotes included", arguments: 0..<40)
    func splitInvariance(seed: Int) {
        // A small deterministic generator: the same inputs on every run and machine.
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let pieces = ["\"", "\"\"", ",", "\n", "\r\n", "\r", "a", "中文", " ", "x\"y"]
        let text = (0..<(50 + random(400))).map { _ in pieces[random(pieces.count)] }.joined()
        let whole = Self.parseRows(text, maximumQuotedCell: 16)
        for chunk in [1, 2, 3, 5, 8, 13] {
            #expect(Self.parseRows(text, chunk: chunk, maximumQuotedCell: 16) == whole, "chunk \(chunk): \(text.debugDescription)")
        }
        // Nothing is lost: every byte of the input outside quoting and row ends is in some cell.
        let letters = text.filter { $0 == "a" || $0 == "中" || $0 == "文" || $0 == "x" || $0 == "y" }.count
        #expect(whole.reduce(0) { $0 + $1.cells.joined().filter { $0 == "a" || $0 == "中" || $0 == "文" || $0 == "x" || $0 == "y" }.count } == letters)
    }

    @Test("A stray quote capped right after a CR does not cost a later line break")
    func unclosedQuoteCappedAfterCR() {
        // The first read ends just after the second quote, which opens a cell holding a line break.
        let rows = Self.parseRows("0,\"ab\r\"\nX\",y\n", chunk: 7, maximumQuotedCell: 2)
        #expect(rows.map(\.cells) == [["0", "\"ab"], ["\nX", "y"]])
    }

    @Test("A stray quote closed by a quote on a later line followed by text is a stray quote; a quote closed then text on one line is text", arguments: [1, 3, Int.max])
    func strayQuoteClosedLater(chunk: Int) {
        let text = "a,b,c\n1,\"stray,x\n2,\"q\"\"uoted\",y\n3,\"abc\"def,z\n4,\"two\nlines\",w"
        let rows = Self.parseRows(text, chunk: chunk)
        #expect(rows.map(\.cells) == [["a", "b", "c"], ["1", "\"stray", "x"], ["2", "q\"uoted", "y"], ["3", "abcdef", "z"], ["4", "two\nlines", "w"]])
        #expect(rows.map(\.hasUnclosedQuote) == [false, true, false, false, false])
    }

    @Test("A stray quote closed by a quote at a line end is a stray quote when the lines it swallowed are rows", arguments: [1, 4, Int.max])
    func strayQuoteClosedAtLineEnd(chunk: Int) {
        let header = "a,b,c,d,e,f,g,h,i,j"
        let row = { (n: Int) in "\(n),b,c,d,e,f,g,h,i,j" }
        // Row 1's last cell opens a quote never meant; row 5 ends with a quote (12 inches), which
        // would have closed it, swallowing rows 2 to 4. Row 6 is a real multi-line cell with commas.
        let text = [header, "1,b,c,d,e,f,g,h,i,\"stray", row(2), row(3), row(4), "5,b,c,d,e,f,g,h,i,12\"", "6,\"one\ntwo, three, four\",c,d,e,f,g,h,i,j"]
            .joined(separator: "\n") + "\n"
        let rows = Self.parseRows(text, chunk: chunk)
        #expect(rows.count == 7)
        #expect(rows.map { $0.cells.first ?? "" } == ["a", "1", "2", "3", "4", "5", "6"])
        #expect(rows[1].cells.last == "\"stray")
        #expect(rows[5].cells.last == "12\"")
        #expect(rows[6].cells[1] == "one\ntwo, three, four")
        #expect(rows.map(\.hasUnclosedQuote) == [false, true, false, false, false, false, false])
    }

    @Test("Tabs and semicolons are recognised as delimiters")
    func sniffing() {
        #expect(CSVParser.sniffDelimiter(Array("a\tb\tc\n1,2\t3".utf8)) == UInt8(ascii: "\t"))
        #expect(CSVParser.sniffDelimiter(Array("a;b;c\n".utf8)) == UInt8(ascii: ";"))
        #expect(CSVParser.sniffDelimiter(Array("\"a;b\",c\n".utf8)) == UInt8(ascii: ","))
    }
}

@Suite("Encodings")
struct EncodingTests {
    static let text = "行政相对人名称,处罚决定日期\n杭州某某科技有限公司,2023年5月6日\n"

    static func decode(_ bytes: [UInt8], declared: TextEncoding? = nil) throws -> (TextEncoding?, [[String]]) {
        let path = Scratch.path("enc", ".csv")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try ArtefactDecoding.open(path: path, format: .csv, declaredEncoding: declared)
        var rows: [[String]] = []
        while let record = try source.next() {
            if case .positional(let row) = record { rows.append(row.cells) }
        }
        return (source.encoding, rows)
    }

    static let expected = [["行政相对人名称", "处罚决定日期"], ["杭州某某科技有限公司", "2023年5月6日"]]

    @Test("UTF-8 with and without a byte-order mark")
    func utf8() throws {
        #expect(try Self.decode(Array(Self.text.utf8)) == (.utf8, Self.expected))
        #expect(try Self.decode([0xEF, 0xBB, 0xBF] + Array(Self.text.utf8)) == (.utf8, Self.expected))
    }

    @Test("UTF-16 with a byte-order mark, both byte orders")
    func utf16() throws {
        #expect(try Self.decode([0xFF, 0xFE] + SampleCodes.convert(Self.text, to: "UTF-16LE")) == (.utf16LittleEndian, Self.expected))
        #expect(try Self.decode([0xFE, 0xFF] + SampleCodes.convert(Self.text, to: "UTF-16BE")) == (.utf16BigEndian, Self.expected))
    }

    @Test("GB18030 (GBK) without a mark is detected, not assumed")
    func gb18030() throws {
        let bytes = SampleCodes.gb18030(Self.text)
        #expect(EncodingDetector.detect(bytes).encoding == .gb18030)
        #expect(try Self.decode(bytes) == (.gb18030, Self.expected))
    }

    @Test("GB18030 split across read chunks decodes whole characters")
    func gb18030Chunks() throws {
        let line = "名称,日期\n" + String(repeating: "某某科技有限公司,2023/05/06\n", count: 80_000)
        let (encoding, rows) = try Self.decode(SampleCodes.gb18030(line))
        #expect(encoding == .gb18030)
        #expect(rows.count == 80_001)
        #expect(rows.allSatisfy { !$0.joined().contains("\u{FFFD}") })
    }

    @Test("Invalid bytes in a UTF-8 file become replacement characters, not a crash")
    func damagedUTF8() throws {
        let bytes = Array("名称,日期\n".utf8) + [0x41, 0xFF, 0x42] + Array(",2023/05/06\n".utf8)
        let (_, rows) = try Self.decode(bytes)
        #expect(rows[1][0] == "A\u{FFFD}B")
    }

    @Test("A declared encoding wins over detection")
    func declared() throws {
        let bytes = SampleCodes.gb18030(Self.text)
        #expect(try Self.decode(bytes, declared: .gb18030).1 == Self.expected)
    }
}

@Suite("JSON records")
struct JSONRecordTests {
    static func read(_ text: String, format: ArtefactFormat) throws -> [SourceRecord] {
        let path = Scratch.path("json")
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try ArtefactDecoding.open(path: path, format: format, declaredEncoding: nil)
        var records: [SourceRecord] = []
        while let record = try source.next() {
            if case .json(let bytes) = record { records.append(JSONRecordConversion.record(fromJSON: bytes[...])) } else { records.append(record) }
        }
        return records
    }

    @Test("JSON Lines: one object a line, numbers and nulls as text, blank lines skipped")
    func jsonLines() throws {
        let records = try Self.read("{\"CF_WSH\":\"A-1\",\"CF_NR_FK\":0.5,\"BZ\":null}\n\n{\"CF_WSH\":\"A-2\",\"flag\":true}\nnot json\n", format: .jsonLines)
        #expect(records.count == 3)
        #expect(records[0] == .keyed([("BZ", ""), ("CF_NR_FK", "0.5"), ("CF_WSH", "A-1")]))
        #expect(records[1] == .keyed([("CF_WSH", "A-2"), ("flag", "true")]))
        if case .keyed(let pairs) = records[2] { #expect(pairs.first?.0 == "\u{0}invalid_json") } else { Issue.record("expected keyed") }
    }

    @Test("A JSON document with a records array")
    func document() throws {
        #expect(try Self.read("{\"records\":[{\"a\":\"1\"},{\"a\":\"2\"}]}", format: .json).count == 2)
        #expect(try Self.read("[{\"a\":\"1\"}]", format: .json).count == 1)
        #expect(throws: CreditHubError.self) { try Self.read("{\"x\":1}", format: .json) }
    }

    @Test("A flat JSON object reads as JSONSerialization reads it, without it", arguments: [
        #"{"CF_WSH":"A-1","CF_NR_FK":2.50,"BZ":null,"flag":true,"off":false}"#,
        #" { "b" : "x\"y\\z\/\n\t" , "a":"\u4e2d\u6587\ud83d\ude00", "n":100, "m":-0, "f":2.0, "e":1.5e3, "g":-0.000001 } "#,
        #"{"名称":"杭州某某科技有限公司","名称 ":"x","a":"1","a":"2"}"#,
        #"{}"#,
    ])
    func flatJSON(text: String) throws {
        let bytes = Array(text.utf8)
        let fast = try #require(bytes.withUnsafeBufferPointer(FlatJSON.members))
        let object = try JSONSerialization.jsonObject(with: Data(bytes))
        #expect(SourceRecord.keyed(fast) == JSONRecordConversion.record(from: object))
    }

    @Test("Random flat objects read as JSONSerialization reads them", arguments: 0..<40)
    func flatJSONMatchesFoundation(seed: Int) throws {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 7
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let keys = [#""CF_WSH""#, #""CF_NR_FK""#, #""名称""#, #""a\"b""#, #""\u4e2d""#, #""""#, #""x y""#]
        let strings = [#""""#, #""杭州""#, #""tab\there""#, #""q\"uote\\""#, #""\ud83d\ude00 \/""#, #""line\r\nbreak""#, #""  padded ""#]
        let numbers = ["0", "-0", "7", "-12", "2.50", "0.1", "3.0", "1e3", "1.5E-7", "123456789012345678", "0.30000000000000004", "-0.0"]
        let others = ["true", "false", "null"]
        for _ in 0..<20 {
            let members = (0..<random(8)).map { _ -> String in
                let value: String
                switch random(3) {
                case 0: value = strings[random(strings.count)]
                case 1: value = numbers[random(numbers.count)]
                default: value = others[random(others.count)]
                }
                return keys[random(keys.count)] + [":", " : ", ":\n"][random(3)] + value
            }
            let text = "{" + members.joined(separator: [",", " ,\n "][random(2)]) + "}"
            let bytes = Array(text.utf8)
            let fast = try #require(bytes.withUnsafeBufferPointer(FlatJSON.members), "\(text)")
            let object = try JSONSerialization.jsonObject(with: Data(bytes))
            #expect(SourceRecord.keyed(fast) == JSONRecordConversion.record(from: object), "\(text)")
        }
    }

    @Test("JSON the fast reader leaves alone still reads, or becomes an invalid row")
    func flatJSONFallback() {
        for text in [#"{"a":{"b":1}}"#, #"{"a":[1,2]}"#, #"{"a":12345678901234567890}"#, #"{"a":"1",}"#, #"{"a":01}"#, #"[1]"#, "{\"a\":\"tab\there\"}"] {
            #expect(Array(text.utf8).withUnsafeBufferPointer(FlatJSON.members) == nil, "\(text)")
        }
        // A nested value keeps its text and is named for governance to reject.
        #expect(JSONRecordConversion.record(fromJSON: Array(#"{"a":{"b":1}}"#.utf8)[...]) == .keyed([("a", #"{"b":1}"#), (JSONRecordConversion.nestedValueKey, "a")]))
        if case .keyed(let pairs) = JSONRecordConversion.record(fromJSON: Array(#"{"a":}"#.utf8)[...]) {
            #expect(pairs.first?.0 == "\u{0}invalid_json")
        } else {
            Issue.record("expected keyed")
        }
    }

    @Test("A JSON document is read a record at a time: records after other members, across read blocks, damaged")
    func streamingDocument() throws {
        let record = #"{"CF_WSH":"杭市监罚〔2023〕1号","CF_SY":"当事人\"虚假\"宣传，[见附件]{1}","CF_NR_FK":0.5}"#
        let many = Array(repeating: record, count: 30_000)
        let big = try Self.read(#"{"meta":{"note":"]}","list":[1,{"x":"["}]},"records":["# + many.joined(separator: ",\n") + "]}", format: .json)
        #expect(big.count == 30_000)
        #expect(big.allSatisfy { $0 == .keyed([("CF_NR_FK", "0.5"), ("CF_SY", "当事人\"虚假\"宣传，[见附件]{1}"), ("CF_WSH", "杭市监罚〔2023〕1号")]) })
        #expect(try Self.read("\u{FEFF}[" + record + "]", format: .json).count == 1)
        // Pretty-printed, as most tools write it.
        let pretty = try Self.read("{\n  \"meta\" : { \"count\" : 2 } ,\n  \"records\" : [\n    " + record + " ,\n    " + record + "\n  ]\n}\n", format: .json)
        #expect(pretty == [big[0], big[0]])
        // A document cut short: the records before the cut, then a row that says so.
        let truncated = try Self.read("[" + record + "," + record + "," + String(record.prefix(20)), format: .json)
        #expect(truncated.count == 3)
        #expect(truncated[1] == big[0])
        if case .keyed(let pairs) = truncated[2] { #expect(pairs.first?.0 == "\u{0}invalid_json") } else { Issue.record("expected keyed") }
        // Stray characters between records are an invalid row each; the records around them are read.
        let stray = try Self.read("[" + record + "}," + record + "]", format: .json)
        #expect(stray.count == 3)
        #expect(stray[2] == big[0])
        #expect(throws: CreditHubError.self) { try Self.read(#"{"records":"none"}"#, format: .json) }
        #expect(throws: CreditHubError.self) { try Self.read("not json", format: .json) }
    }

    @Test("Formats are recognised by name and by content")
    func formatDetection() throws {
        let path = Scratch.path("f")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("{\"a\":1}\n{\"a\":2}\n".utf8))
        #expect(ArtefactDecoding.format(declared: nil, fileName: nil, path: path) == .jsonLines)
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x50, 0x4B, 0x03, 0x04, 0, 0]))
        #expect(ArtefactDecoding.format(declared: nil, fileName: nil, path: path) == .xlsx)
        // A zip is a workbook whatever its name: a renamed `.xlsx` is read as one.
        #expect(ArtefactDecoding.format(declared: nil, fileName: "处罚.CSV", path: path) == .xlsx)
        #expect(ArtefactDecoding.format(declared: .csv, fileName: "处罚.CSV", path: path) == .csv)
        _ = FileManager.default.createFile(atPath: path, contents: Data("a,b\n1,2\n".utf8))
        #expect(ArtefactDecoding.format(declared: nil, fileName: "处罚.CSV", path: path) == .csv)
    }

    @Test(
        "Files that are no table are named for what they are, whatever they are called or declared",
        arguments: [
            ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0], "an Excel 97-2003 workbook (.xls)"),
            (Array("%PDF-1.7\n%âãÏÓ\n".utf8), "a PDF document"),
            ([0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0], "a compressed archive"),
            ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4], "a compressed archive"),
            (Array("\u{FEFF}\r\n<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><body><table><tr><td>行政相对人名称</td></tr></table>".utf8), "a web page (HTML)"),
            (Array("<TABLE BORDER=1><TR><TD>行政相对人名称</TD></TR></TABLE>".utf8), "a web page (HTML)"),
            (Array("<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">".utf8), "an XML Spreadsheet 2003 file"),
        ] as [([UInt8], String)]
    )
    func unsupportedKinds(bytes: [UInt8], kind: String) throws {
        let path = Scratch.path("u", ".xls")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        for format in ArtefactFormat.allCases {
            let error = try #require(throws: CreditHubError.self) { try ArtefactDecoding.open(path: path, format: format, declaredEncoding: nil) }
            #expect(error.code == "unsupported_format")
            #expect(error.message.hasPrefix(kind))
            #expect(error.chineseMessage?.isEmpty == false)
        }
    }

    @Test("Text that only starts with markup, or mentions it later, is still read as a table")
    func markupInATable() throws {
        #expect(ArtefactDecoding.unsupportedKind(Array("<名称>,类别\n杭州某某,法人\n".utf8)) == nil)
        #expect(ArtefactDecoding.unsupportedKind(Array("行政相对人名称,备注\n杭州某某,<html> 见附件 <table>\n".utf8)) == nil)
    }
}

@Suite("XLSX")
struct XLSXTests {
    /// The cells of each row the reader gives for a workbook of `rows`.
    static func read(_ rows: [[XLSXBuilder.Cell]], skipRowAfter: Int? = nil) throws -> [[String]] {
        let path = Scratch.path("x", ".xlsx")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try XLSXBuilder.write(rows: rows, to: path, skipRowAfter: skipRowAfter)
        let source = try ArtefactDecoding.open(path: path, format: .xlsx, declaredEncoding: nil)
        var cells: [[String]] = []
        while let record = try source.next() {
            if case .positional(let row) = record { cells.append(row.cells) }
        }
        return cells
    }

    @Test("First sheet: shared strings without phonetic runs, inline strings, numbers as Excel shows them, gaps")
    func workbook() throws {
        let rows = try Self.read(
            [
                [.shared("行政相对人名称"), .shared("处罚决定日期"), .shared("罚款金额（万元）"), .inline("备注")],
                [.shared("杭州某某 & 科技"), .number("45052"), .number("0.20000000000000001"), .empty, .inline("x<y")],
                [.inline("第二行"), .number("45053.5"), .number("12"), .shared("说明")],
            ],
            skipRowAfter: 2
        )
        #expect(rows == [
            ["行政相对人名称", "处罚决定日期", "罚款金额（万元）", "备注"],
            ["杭州某某 & 科技", "45052", "0.2", "", "x<y"],
            [],
            ["第二行", "45053.5", "12", "说明"],
        ])
    }

    @Test("A workbook says which day its date serials count from; other formats count from 1900")
    func workbookDateSystem() throws {
        for date1904 in [false, true] {
            let path = Scratch.path("x", ".xlsx")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try XLSXBuilder.write(rows: [[.shared("处罚决定日期")], [.number("43590")]], to: path, date1904: date1904)
            let source = try ArtefactDecoding.open(path: path, format: .xlsx, declaredEncoding: nil)
            #expect(source.dateSystem == (date1904 ? .from1904 : .from1900))
        }
        let path = Scratch.path("c", ".csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("处罚决定日期\n43590\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try ArtefactDecoding.open(path: path, format: .csv, declaredEncoding: nil).dateSystem == .from1900)
    }

    @Test("Cells out of order, given twice, without a reference, or with an entity in it land in their columns")
    func cellPlacement() throws {
        let rows = try Self.read([
            [.raw(#"<c r="C1" t="inlineStr"><is><t>c</t></is></c>"#), .raw(#"<c r="A1" t="inlineStr"><is><t>a</t></is></c>"#), .raw(#"<c t="b"><v>1</v></c>"#)],
            [.raw(#"<c r="&#66;2"><v>7</v></c>"#), .raw(#"<c t="s"><v>0</v></c>"#), .shared("共享")],
        ])
        // Row 2's third cell is C2 again (the builder names it by position): the later one stands.
        #expect(rows == [["a", "", "c", "TRUE"], ["", "7", "共享"]])
    }

    @Test("The XML scanner: namespace prefixes, quoted attributes, entities, comments and CDATA, across any split")
    func xmlScanner() throws {
        let document = Array("<?xml version=\"1.0\"?><!-- note <c> --><x:row r='7' x:spans=\"1:2\"><x:c r=\"B7\" t=\"inlineStr\"><x:is><x:t>a &amp; b &#x4e2d;</x:t></x:is></x:c><c r=\"C7\"><v><![CDATA[1 &amp; 2]]></v></c><c r=\"D7\" t=\"s\"/></x:row >".utf8)
        for split in [1, 3, 7, document.count] {
            var scanner = XMLScanner()
            var events: [String] = []
            var start = 0
            while start < document.count {
                scanner.feed(Array(document[start..<min(document.count, start + split)]))
                start += split
                try scanner.scan { token, bytes in
                    switch token {
                    case .start(let tag):
                        let name = String(decoding: XMLScanner.Bytes(rebasing: bytes[tag.name]), as: UTF8.self)
                        events.append("<\(name) r=\(tag.attribute("r", in: bytes) ?? "-") t=\(tag.attribute("t", in: bytes) ?? "-")\(tag.selfClosing ? "/" : "")>")
                    case .end(let name):
                        events.append("</\(String(decoding: XMLScanner.Bytes(rebasing: bytes[name]), as: UTF8.self))>")
                    case .text(let text):
                        events.append(text.string(in: bytes))
                    }
                }
            }
            #expect(events == [
                "<row r=7 t=->", "<c r=B7 t=inlineStr>", "<is r=- t=->", "<t r=- t=->", "a & b 中", "</t>", "</is>", "</c>",
                "<c r=C7 t=->", "<v r=- t=->", "1 &amp; 2", "</v>", "</c>", "<c r=D7 t=s/>", "</row>",
            ], "split \(split)")
        }
    }

    @Test("Sheets are read in the workbook's order, each from its start, by name")
    func sheets() throws {
        let path = Scratch.path("s", ".xlsx")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try XLSXBuilder.write(sheets: [("说明 & 备注", [[.shared("填报说明")]]), ("数据", [[.shared("名称"), .number("1")], [.inline("甲"), .number("2")]])], to: path)
        let source = try ArtefactDecoding.open(path: path, format: .xlsx, declaredEncoding: nil)
        #expect(source.sheetName == "说明 & 备注")
        #expect(try source.next() == .positional(TextRow(cells: ["填报说明"])))
        #expect(try source.nextSheet())
        #expect(source.sheetName == "数据")
        #expect(try source.next() == .positional(TextRow(cells: ["名称", "1"])))
        #expect(try source.next() == .positional(TextRow(cells: ["甲", "2"])))
        #expect(try source.next() == nil)
        #expect(try source.nextSheet() == false)
        let text = Scratch.path("s", ".csv")
        defer { try? FileManager.default.removeItem(atPath: text) }
        _ = FileManager.default.createFile(atPath: text, contents: Data("a,b\n".utf8))
        let csv = try ArtefactDecoding.open(path: text, format: .csv, declaredEncoding: nil)
        #expect(csv.sheetName == nil)
        #expect(try csv.nextSheet() == false)
    }

    @Test("A zip that is not a workbook is reported, not a crash")
    func notAWorkbook() throws {
        let path = Scratch.path("n", ".xlsx")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("PK\u{3}\u{4}garbage".utf8))
        #expect(throws: CreditHubError.self) { try ArtefactDecoding.open(path: path, format: .xlsx, declaredEncoding: nil) }
    }
}
