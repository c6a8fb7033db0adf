import CreditKernel
import Foundation

/// Reads the first worksheet of an XLSX workbook row by row.
///
/// Two passes over the zip: the first collects the workbook's sheet order and the shared strings
/// (parsed as they are inflated), the second streams the sheet's XML, so memory holds the shared
/// strings but never the whole sheet or the whole shared-strings part.
/// Numbers come back as Excel shows them (15 significant digits); a date typed into Excel is a
/// serial number here, which the date normaliser converts.
final class XLSXReader: RecordSource {
    let encoding: TextEncoding? = .utf8
    private let path: String
    private var sharedStrings: [String] = []
    private let sheetPath: String
    private var archive: ArchiveReader
    private var scanner = XMLScanner()
    private var pendingRows: [[String]] = []
    private var finished = false
    /// The row number (`r`) of the last row emitted, to fill gaps with empty rows.
    private var lastRowNumber = 0

    // Parse state inside sheetData.
    private var currentRow: [String] = []
    private var currentRowNumber = 0
    private var cellColumn = 0
    private var cellType = CellType.number
    private var cellText: [UInt8] = []
    private var inValue = false
    private var inInlineText = false
    private var inPhonetic = false

    init(path: String) throws {
        self.path = path
        var workbook: [UInt8]?
        var relationships: [UInt8]?
        let first = try ArchiveReader(path: path)
        var names: [String] = []
        while let name = try first.nextEntry() {
            names.append(name)
            switch name {
            case "xl/workbook.xml": workbook = try first.readAll()
            case "xl/_rels/workbook.xml.rels": relationships = try first.readAll()
            case "xl/sharedStrings.xml": sharedStrings = try Self.parseSharedStrings(first)
            default: continue
            }
        }
        guard let workbook else {
            throw CreditHubError(code: "unreadable", message: "not an XLSX workbook: xl/workbook.xml is missing", chineseMessage: "不是 XLSX 工作簿（缺少 xl/workbook.xml），请用 Excel 另存为 .xlsx 后重新提交")
        }
        sheetPath = Self.firstSheetPath(workbook: workbook, relationships: relationships) ?? "xl/worksheets/sheet1.xml"
        guard names.contains(sheetPath) else {
            throw CreditHubError(code: "unreadable", message: "the workbook's first sheet (\(sheetPath)) is missing", chineseMessage: "工作簿缺少第一个工作表（\(sheetPath)）")
        }
        archive = try ArchiveReader(path: path)
        while let name = try archive.nextEntry(), name != sheetPath {}
    }

    func next() throws -> SourceRecord? {
        while pendingRows.isEmpty {
            if finished { return nil }
            let chunk = try archive.readChunk()
            if chunk.isEmpty {
                finished = true
                if !currentRow.isEmpty { pendingRows.append(currentRow) }
                break
            }
            scanner.feed(chunk)
            while let token = scanner.next() { handle(token) }
        }
        return pendingRows.isEmpty ? nil : .positional(TextRow(cells: pendingRows.removeFirst()))
    }

    /// A cell's `t` attribute: how its value is stored.
    enum CellType {
        case sharedString, boolean, number, other

        init(_ attribute: String?) {
            switch attribute {
            case "s": self = .sharedString
            case "b": self = .boolean
            case nil, "n": self = .number
            default: self = .other
            }
        }
    }

    private func handle(_ token: XMLScanner.Token) {
        switch token {
        case .start(let tag):
            if tag.isNamed("c") {
                cellType = CellType(tag.attribute("t"))
                cellText.removeAll(keepingCapacity: true)
                cellColumn = tag.attribute("r").map(Self.columnIndex) ?? currentRow.count
                if tag.selfClosing { endCell() }
            } else if tag.isNamed("v") {
                inValue = !tag.selfClosing
            } else if tag.isNamed("row") {
                currentRow = []
                currentRowNumber = tag.attribute("r").flatMap { Int($0) } ?? (lastRowNumber + 1)
                if tag.selfClosing { endRow() }
            } else if tag.isNamed("t") {
                inInlineText = !tag.selfClosing && !inPhonetic
            } else if tag.isNamed("rPh") {
                inPhonetic = !tag.selfClosing
            }
        case .end(let name):
            if XMLScanner.equals(name, "c") {
                endCell()
            } else if XMLScanner.equals(name, "v") {
                inValue = false
            } else if XMLScanner.equals(name, "row") {
                endRow()
            } else if XMLScanner.equals(name, "t") {
                inInlineText = false
            } else if XMLScanner.equals(name, "rPh") {
                inPhonetic = false
            }
        case .text(let text):
            if inValue || inInlineText { text.append(to: &cellText) }
        }
    }

    private func endCell() {
        let value: String
        switch cellType {
        case .sharedString:
            value = Int(String(decoding: cellText, as: UTF8.self)).flatMap { $0 < sharedStrings.count ? sharedStrings[$0] : nil } ?? ""
        case .boolean:
            value = cellText == [UInt8(ascii: "1")] ? "TRUE" : "FALSE"
        case .number:
            value = Self.displayNumber(String(decoding: cellText, as: UTF8.self))
        case .other:
            value = String(decoding: cellText, as: UTF8.self)
        }
        if cellColumn >= currentRow.count {
            currentRow += Array(repeating: "", count: cellColumn - currentRow.count)
            currentRow.append(value)
        } else {
            currentRow[cellColumn] = value
        }
        cellText.removeAll(keepingCapacity: true)
    }


    private func endRow() {
        // Rows absent from the sheet are empty rows in the grid.
        if lastRowNumber + 1 < currentRowNumber {
            for _ in (lastRowNumber + 1)..<currentRowNumber { pendingRows.append([]) }
        }
        pendingRows.append(currentRow)
        lastRowNumber = currentRowNumber
        currentRow = []
    }

    /// `AB12` → 27 (0-based column).
    static func columnIndex(_ reference: String) -> Int {
        var index = 0
        for byte in reference.utf8 {
            guard byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") else { break }
            index = index * 26 + Int(byte - UInt8(ascii: "A")) + 1
        }
        return max(0, index - 1)
    }

    /// What Excel displays for a stored double: at most 15 significant digits, no exponent for
    /// ordinary magnitudes (`0.20000000000000001` → `0.2`, `45052` → `45052`).
    static func displayNumber(_ text: String) -> String {
        guard let value = Double(text) else { return text }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var formatted = String(format: "%.15g", value)
        if formatted.contains("e") { return formatted }
        if formatted.contains(".") {
            while formatted.hasSuffix("0") { formatted.removeLast() }
            if formatted.hasSuffix(".") { formatted.removeLast() }
        }
        return formatted
    }

    /// The shared strings of the archive's current entry, read a piece at a time.
    static func parseSharedStrings(_ archive: ArchiveReader) throws -> [String] {
        var scanner = XMLScanner()
        var strings: [String] = []
        var current = ""
        var inText = false
        var inPhonetic = false
        while true {
            let chunk = try archive.readChunk()
            if chunk.isEmpty { return strings }
            scanner.feed(chunk)
            while let token = scanner.next() {
                switch token {
                case .start(let tag):
                    if tag.isNamed("si") { current = "" }
                    if tag.isNamed("t") { inText = !tag.selfClosing && !inPhonetic }
                    if tag.isNamed("rPh") { inPhonetic = !tag.selfClosing }
                    if tag.isNamed("si"), tag.selfClosing { strings.append("") }
                case .end(let name):
                    if XMLScanner.equals(name, "t") { inText = false }
                    if XMLScanner.equals(name, "rPh") { inPhonetic = false }
                    if XMLScanner.equals(name, "si") { strings.append(current) }
                case .text(let text):
                    if inText { current += text.string }
                }
            }
        }
    }

    /// The path of the first sheet in workbook order, through the workbook's relationships.
    static func firstSheetPath(workbook: [UInt8], relationships: [UInt8]?) -> String? {
        var scanner = XMLScanner()
        scanner.feed(workbook)
        var relationshipID: String?
        while let token = scanner.next() {
            if case .start(let tag) = token, tag.isNamed("sheet") {
                relationshipID = tag.attribute("id")
                break
            }
        }
        guard let relationshipID, let relationships else { return nil }
        var relations = XMLScanner()
        relations.feed(relationships)
        while let token = relations.next() {
            if case .start(let tag) = token, tag.isNamed("Relationship"), tag.attribute("Id") == relationshipID, let target = tag.attribute("Target") {
                if target.hasPrefix("/") { return String(target.dropFirst()) }
                return "xl/" + target
            }
        }
        return nil
    }
}
