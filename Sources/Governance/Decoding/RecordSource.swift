import CreditKernel
import Foundation

/// One record as decoded, before any catalogue mapping.
public enum SourceRecord: Sendable, Hashable {
    /// Cells in column order (CSV, spreadsheets): the first rows hold the header.
    case positional(TextRow)
    /// Named values (JSON): keys are field ids, labels or aliases.
    case keyed([(String, String)])
    /// A JSON value as read: parsing it is left to whoever governs it, on any core, rather than
    /// to the one task reading the file (`ResourceGovernor.govern(json:)`).
    case json([UInt8])
    /// A record longer than `DecodingLimits.maximumRecordBytes`, skipped to its end: rejected whole.
    case tooLong

    /// A row as a decoder completed it: too long when it was cut.
    init(_ row: TextRow) {
        self = row.isTruncated ? .tooLong : .positional(row)
    }

    public static func == (lhs: SourceRecord, rhs: SourceRecord) -> Bool {
        switch (lhs, rhs) {
        case (.positional(let a), .positional(let b)): a == b
        case (.keyed(let a), .keyed(let b)): a.elementsEqual(b) { $0 == $1 }
        case (.json(let a), .json(let b)): a == b
        case (.tooLong, .tooLong): true
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .positional(let cells): hasher.combine(cells)
        case .keyed(let pairs):
            for (key, value) in pairs {
                hasher.combine(key)
                hasher.combine(value)
            }
        case .json(let bytes): hasher.combine(bytes)
        case .tooLong: hasher.combine(0)
        }
    }
}

/// A decoder producing records one at a time from an artefact on disk.
public protocol RecordSource: AnyObject {
    /// The text encoding, once known.
    var encoding: TextEncoding? { get }
    /// The next record, or nil at the end.
    func next() throws -> SourceRecord?
    /// Whether undecodable bytes were replaced with U+FFFD so far.
    var hadReplacements: Bool { get }
    /// The sheet being read, for a workbook; nil for other formats.
    var sheetName: String? { get }
    /// Moves to the start of the next sheet of a workbook; false when there is none.
    func nextSheet() throws -> Bool
    /// How the source's date serial numbers count days: a workbook says; other formats hold what
    /// Excel shows, in the 1900 system it uses by default.
    var dateSystem: ExcelDateSystem { get }
}

extension RecordSource {
    public var hadReplacements: Bool { false }
    public var sheetName: String? { nil }
    public func nextSheet() throws -> Bool { false }
    public var dateSystem: ExcelDateSystem { .from1900 }
}

/// The day an Excel workbook's date serial numbers count from. Workbooks made by Excel for Mac
/// before 2011, and those made from their templates since, count from 1904 (`date1904` in the
/// workbook part): read in the 1900 system their dates would come out four years and a day early.
public enum ExcelDateSystem: Sendable, Equatable {
    case from1900
    case from1904

    /// Days to add to a serial to count it in the 1900 system.
    var daysAfter1900System: Int {
        switch self {
        case .from1900: 0
        case .from1904: 1462
        }
    }
}

/// Opens the right decoder for an artefact.
public enum ArtefactDecoding {
    /// Decides the format from what the channel said, the file name, and the first bytes. A zip is
    /// read as a workbook whatever its name says: a renamed `.xlsx` is still one, and any other zip
    /// is reported as no workbook rather than read as text.
    public static func format(declared: ArtefactFormat?, fileName: String?, path: String) -> ArtefactFormat {
        if let declared { return declared }
        let head = Self.head(path)
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .xlsx }
        if let fileName, let format = ArtefactFormat(fileName: fileName) { return format }
        if let first = head.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }) {
            if first == UInt8(ascii: "[") { return .json }
            if first == UInt8(ascii: "{") {
                return head.contains(0x0A) && !String(decoding: head, as: UTF8.self).contains("\"records\"") ? .jsonLines : .json
            }
        }
        return .csv
    }

    /// - Throws: `unsupported_format` for a kind of file no decoder reads (see `unsupportedKind`),
    ///   whatever format was declared; otherwise what the decoder throws.
    public static func open(path: String, format: ArtefactFormat, declaredEncoding: TextEncoding?) throws -> any RecordSource {
        if let unsupported = unsupportedKind(head(path)) { throw unsupported }
        return switch format {
        case .csv: try DelimitedTextReader(path: path, declaredEncoding: declaredEncoding)
        case .jsonLines: try JSONLinesReader(path: path, declaredEncoding: declaredEncoding)
        case .json: try JSONDocumentReader(path: path)
        case .xlsx: try XLSXReader(path: path)
        }
    }
}

extension ArtefactDecoding {
    /// The first bytes of the file; none if it cannot be read (opening it says why).
    static func head(_ path: String) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return [UInt8]((try? handle.read(upToCount: 1024)) ?? Data())
    }

    /// Files that departments send for a table but no decoder reads, told by their first bytes, with
    /// what to send instead: read as text they only gave `no_header`, which sent the clerk looking
    /// for a fault in a header that was never read.
    static func unsupportedKind(_ head: [UInt8]) -> CreditHubError? {
        func unsupported(_ english: String, _ chinese: String) -> CreditHubError {
            CreditHubError(code: "unsupported_format", message: english, chineseMessage: chinese)
        }
        if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            return unsupported(
                "an Excel 97-2003 workbook (.xls) or another Office 97-2003 file: save it in Excel as an Excel Workbook (.xlsx) or as CSV and submit that",
                "这是 Excel 97-2003 工作簿（.xls）或其他旧版 Office 文件，平台读取 .xlsx 和 CSV：请在 Excel 中“另存为”Excel 工作簿（*.xlsx）或 CSV 后重新提交"
            )
        }
        if head.starts(with: Array("%PDF-".utf8)) {
            return unsupported("a PDF document, from which no records can be read: submit the table as .xlsx or CSV", "这是 PDF 文档，无法从中读取记录：请提交 .xlsx 或 CSV 格式的数据表")
        }
        if head.starts(with: [0x1F, 0x8B]) || head.starts(with: Array("Rar!".utf8) + [0x1A, 0x07]) || head.starts(with: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) {
            return unsupported("a compressed archive (gzip, RAR or 7z): submit the table in it, as .xlsx or CSV", "这是压缩包（gzip、RAR 或 7z）：请解压后提交其中的 .xlsx 或 CSV 数据表")
        }
        // Markup, after a byte-order mark and white space. Some systems export a web page, or an
        // XML Spreadsheet 2003, under a `.xls` name; Excel opens both.
        let text = head.drop { [0xEF, 0xBB, 0xBF, 0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard text.first == UInt8(ascii: "<") else { return nil }
        let lowered = String(decoding: text, as: UTF8.self).lowercased()
        if lowered.contains("urn:schemas-microsoft-com:office:spreadsheet") {
            return unsupported(
                "an XML Spreadsheet 2003 file: open it in Excel and save it as an Excel Workbook (.xlsx) or as CSV",
                "这是 XML 电子表格 2003 格式的文件：请用 Excel 打开后“另存为”Excel 工作簿（*.xlsx）或 CSV 后重新提交"
            )
        }
        if lowered.hasPrefix("<!doctype html") || lowered.contains("<html") || lowered.contains("<table") {
            return unsupported(
                "a web page (HTML), as some systems export a table under a .xls name: open it in Excel and save it as an Excel Workbook (.xlsx) or as CSV",
                "这是网页（HTML）格式的表格（一些业务系统导出的“.xls”文件即是如此）：请用 Excel 打开后“另存为”Excel 工作簿（*.xlsx）或 CSV 后重新提交"
            )
        }
        return nil
    }
}

/// CSV (and tab- or semicolon-separated text) in any of the supported encodings.
final class DelimitedTextReader: RecordSource {
    private(set) var encoding: TextEncoding?
    private let handle: FileHandle
    private var transcoder: Transcoder
    private var parser: CSVParser
    private var pending: [TextRow] = []
    private var pendingIndex = 0
    private var finished = false
    private var utf8: [UInt8] = []
    /// Replacement characters were produced: rows must be checked for damage.
    private(set) var hadReplacements = false

    init(path: String, declaredEncoding: TextEncoding?) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CreditHubError(code: "unreadable", message: "cannot open the stored artefact", chineseMessage: "无法打开已接收的文件")
        }
        self.handle = handle
        let head = [UInt8]((try handle.read(upToCount: 1 << 20)) ?? Data())
        let detected = EncodingDetector.detect(head)
        let encoding = declaredEncoding ?? detected.encoding
        self.encoding = encoding
        var transcoder = try Transcoder(encoding: encoding)
        // Skip a byte-order mark only when it belongs to the encoding in use.
        let skip = declaredEncoding == nil || declaredEncoding == detected.encoding ? detected.bomLength : 0
        var first: [UInt8] = []
        head.dropFirst(skip).withUnsafeBytes { transcoder.convert($0, final: false, into: &first) }
        self.transcoder = transcoder
        parser = CSVParser(delimiter: CSVParser.sniffDelimiter(first.prefix(65536)))
        utf8 = first
        try handle.seek(toOffset: UInt64(head.count))
        parseBuffered(final: head.count < (1 << 20))
    }

    deinit {
        try? handle.close()
    }

    func next() throws -> SourceRecord? {
        while pendingIndex >= pending.count {
            if finished { return nil }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            let data = try handle.read(upToCount: 1 << 20) ?? Data()
            let final = data.isEmpty
            data.withUnsafeBytes { transcoder.convert($0, final: final, into: &utf8) }
            parseBuffered(final: final)
        }
        defer { pendingIndex += 1 }
        return SourceRecord(pending[pendingIndex])
    }

    private func parseBuffered(final: Bool) {
        hadReplacements = hadReplacements || transcoder.replacements > 0
        utf8.withUnsafeBufferPointer { buffer in
            parser.parse(buffer, final: final) { pending.append($0) }
        }
        utf8.removeAll(keepingCapacity: true)
        if final { finished = true }
    }
}

/// One JSON object per line; blank lines are skipped.
final class JSONLinesReader: RecordSource {
    let encoding: TextEncoding?
    private let text: DelimitedLineSource

    init(path: String, declaredEncoding: TextEncoding?) throws {
        text = try DelimitedLineSource(path: path, declaredEncoding: declaredEncoding)
        encoding = text.encoding
    }

    func next() throws -> SourceRecord? {
        while let line = try text.nextLine() {
            guard case .text(let line) = line else { return .tooLong }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            return .json(Array(line))
        }
        return nil
    }
}

/// A JSON array of objects, or an object whose `records` (or `data`) member is one, read one
/// record at a time: memory is bounded by the largest record, not by the document.
final class JSONDocumentReader: RecordSource {
    let encoding: TextEncoding? = .utf8
    /// A value longer than any record is a damaged document.
    static let maximumValue = DecodingLimits.maximumRecordBytes
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEndOfFile = false
    private var finished = false

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CreditHubError(code: "unreadable", message: "cannot open the stored artefact", chineseMessage: "无法打开已接收的文件")
        }
        self.handle = handle
        try fill()
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        try openRecordsArray()
    }

    deinit {
        try? handle.close()
    }

    private static let notRecords = CreditHubError(
        code: "unreadable", message: "expected a JSON array of records or {\"records\": [...]}", chineseMessage: "应为记录数组，或 {\"records\": [...]} 形式的 JSON"
    )

    /// Moves past the `[` that opens the records.
    private func openRecordsArray() throws {
        switch try peek() {
        case UInt8(ascii: "["):
            position += 1
        case UInt8(ascii: "{"):
            position += 1
            while true {
                guard try peek() == UInt8(ascii: "\""), let key = try value(), try peek() == UInt8(ascii: ":") else { throw Self.notRecords }
                position += 1
                let valueStart = try peek()
                if key.elementsEqual("\"records\"".utf8) || key.elementsEqual("\"data\"".utf8), valueStart == UInt8(ascii: "[") {
                    position += 1
                    return
                }
                guard valueStart != nil, try value() != nil else { throw Self.notRecords }
                guard try peek() == UInt8(ascii: ",") else { throw Self.notRecords }
                position += 1
            }
        default:
            throw Self.notRecords
        }
    }

    func next() throws -> SourceRecord? {
        while !finished {
            switch try peek() {
            case nil:
                finished = true
                return .keyed([(JSONRecordConversion.invalidJSONKey, "文档在记录数组闭合之前结束 / the document ends before its records array is closed")])
            case UInt8(ascii: "]"):
                finished = true
            case UInt8(ascii: ","):
                position += 1
            default:
                guard let element = try value() else {
                    // Past the largest record or the end of the file: nothing after it can be trusted.
                    finished = true
                    let excerpt = String(decoding: buffer[position..<min(buffer.count, position + 200)], as: UTF8.self)
                    return .keyed([(JSONRecordConversion.invalidJSONKey, excerpt)])
                }
                return .json(Array(element))
            }
        }
        return nil
    }

    /// The next byte that is not whitespace, without taking it; nil at the end of the file.
    private func peek() throws -> UInt8? {
        while true {
            while position < buffer.count, FlatJSON.isWhitespace(buffer[position]) { position += 1 }
            if position < buffer.count { return buffer[position] }
            if atEndOfFile { return nil }
            try fill()
        }
    }

    /// The whole value at the position, taken; nil if it is longer than `maximumValue` or the
    /// file ends inside it. Call only where `peek` found a byte.
    private func value() throws -> ArraySlice<UInt8>? {
        while true {
            let end = buffer.withUnsafeBufferPointer { FlatJSON.valueEnd($0, from: position) }
            if let end {
                // A stray `}` or `]` where a value belongs is taken as one (invalid) value, so reading goes on.
                let stop = max(end, position + 1)
                defer { position = stop }
                return buffer[position..<stop]
            }
            if atEndOfFile {
                // A scalar may end with the file.
                guard buffer.count > position, ![UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\"")].contains(buffer[position]) else { return nil }
                defer { position = buffer.count }
                return buffer[position...]
            }
            guard buffer.count - position <= Self.maximumValue else { return nil }
            try fill()
        }
    }

    /// Reads the next block, first dropping what has been taken.
    private func fill() throws {
        if position > (1 << 20) {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        let data = try handle.read(upToCount: 1 << 20) ?? Data()
        if data.isEmpty { atEndOfFile = true } else { buffer.append(contentsOf: data) }
    }
}

enum JSONRecordConversion {
    /// The key of a member that stands for a record that is no JSON object; its value is an excerpt.
    static let invalidJSONKey = "\u{0}invalid_json"
    /// The key of a member naming, as its value, a member whose value was an object or an array.
    static let nestedValueKey = "\u{0}nested_value"

    static func record(fromJSON bytes: ArraySlice<UInt8>) -> SourceRecord {
        if let members = bytes.withUnsafeBufferPointer(FlatJSON.members) { return .keyed(members) }
        return foundationRecord(fromJSON: bytes)
    }

    /// What `JSONSerialization` reads: for what `FlatJSON` leaves alone (nested values, invalid JSON).
    static func foundationRecord(fromJSON bytes: ArraySlice<UInt8>) -> SourceRecord {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            // Not an object: a row that says so, rather than a silently dropped line.
            return .keyed([(invalidJSONKey, String(decoding: bytes.prefix(200), as: UTF8.self))])
        }
        return record(from: object)
    }

    static func record(from object: Any) -> SourceRecord {
        guard let dictionary = object as? [String: Any] else {
            return .keyed([(invalidJSONKey, "\(object)".prefix(200).description)])
        }
        let keys = dictionary.keys.sorted()
        // A field's value is one text or number: an object or an array in its place is named for
        // governance to reject, rather than its JSON text being kept as the value.
        let nested = keys.filter { dictionary[$0] is [Any] || dictionary[$0] is [String: Any] }
        return .keyed(keys.map { ($0, text(dictionary[$0]!)) } + nested.map { (nestedValueKey, $0) })
    }

    /// The elements of a JSON array of strings, numbers and booleans, as text; nil for anything else.
    static func scalars(ofArray json: String) -> [String]? {
        guard let array = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any],
            !array.contains(where: { $0 is [Any] || $0 is [String: Any] || $0 is NSNull })
        else { return nil }
        return array.map(text)
    }

    static func text(_ value: Any) -> String {
        switch value {
        case let string as String: return string
        case is NSNull: return ""
        case let number as NSNumber:
            // Booleans arrive as NSNumber too; their Objective-C type is `c` (char).
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            return number.stringValue
        default:
            if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) {
                return String(decoding: data, as: UTF8.self)
            }
            return "\(value)"
        }
    }
}

/// Lines of a text file in any supported encoding, as UTF-8 bytes.
final class DelimitedLineSource {
    let encoding: TextEncoding
    private let handle: FileHandle
    private var transcoder: Transcoder
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false

    init(path: String, declaredEncoding: TextEncoding?) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CreditHubError(code: "unreadable", message: "cannot open the stored artefact", chineseMessage: "无法打开已接收的文件")
        }
        self.handle = handle
        let head = [UInt8]((try handle.read(upToCount: 65536)) ?? Data())
        let detected = EncodingDetector.detect(head)
        encoding = declaredEncoding ?? detected.encoding
        var transcoder = try Transcoder(encoding: encoding)
        var buffer: [UInt8] = []
        head.dropFirst(detected.bomLength).withUnsafeBytes { transcoder.convert($0, final: false, into: &buffer) }
        self.transcoder = transcoder
        self.buffer = buffer
        try handle.seek(toOffset: UInt64(head.count))
    }

    deinit {
        try? handle.close()
    }

    enum Line {
        case text(ArraySlice<UInt8>)
        /// Longer than `DecodingLimits.maximumRecordBytes`: skipped to its end.
        case tooLong
    }

    /// The next line, or nil at the end of the file.
    func nextLine() throws -> Line? {
        var searchFrom = start
        var skipping = false
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: 0x0A) {
                defer { start = newline + 1 }
                return skipping || newline - start > DecodingLimits.maximumRecordBytes ? .tooLong : .text(buffer[start..<newline])
            }
            if finished {
                guard start < buffer.count else { return skipping ? .tooLong : nil }
                defer { start = buffer.count }
                return skipping || buffer.count - start > DecodingLimits.maximumRecordBytes ? .tooLong : .text(buffer[start...])
            }
            if skipping || buffer.count - start > DecodingLimits.maximumRecordBytes {
                skipping = true
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.removeSubrange(0..<start)
            }
            start = 0
            searchFrom = buffer.count
            let data = try handle.read(upToCount: 1 << 20) ?? Data()
            finished = data.isEmpty
            data.withUnsafeBytes { transcoder.convert($0, final: finished, into: &buffer) }
        }
    }
}
