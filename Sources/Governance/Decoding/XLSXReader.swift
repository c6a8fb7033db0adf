import CreditKernel
import Foundation

/// Reads the first worksheet of an XLSX workbook row by row.
///
/// Two passes over the zip: the first collects the workbook's sheet order and the shared strings,
/// the second streams the sheet's XML, so memory holds the shared strings but never the whole sheet.
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
    private var cellType = ""
    private var cellText = ""
    private var inValue = false
    private var inInlineText = false
    private var inPhonetic = false

    init(path: String) throws {
        self.path = path
        var workbook: [UInt8]?
        var relationships: [UInt8]?
        var strings: [UInt8]?
        let first = try ArchiveReader(path: path)
        var names: [String] = []
        while let name = try first.nextEntry() {
            names.append(name)
            switch name {
            case "xl/workbook.xml": workbook = try first.readAll()
            case "xl/_rels/workbook.xml.rels": relationships = try first.readAll()
            case "xl/sharedStrings.xml": strings = try first.readAll()
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
        if let strings { sharedStrings = Self.parseSharedStrings(strings) }
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

    private func handle(_ token: XMLScanner.Token) {
        switch token {
        case .start(let name, let attributes, let selfClosing):
            switch name {
            case "row":
                currentRow = []
                currentRowNumber = attributes["r"].flatMap(Int.init) ?? (lastRowNumber + 1)
                if selfClosing { endRow() }
            case "c":
                cellType = attributes["t"] ?? "n"
                cellText = ""
                cellColumn = attributes["r"].map(Self.columnIndex) ?? currentRow.count
                if selfClosing { endCell() }
            case "v":
                inValue = !selfClosing
            case "t":
                inInlineText = !selfClosing && !inPhonetic
            case "rPh":
                inPhonetic = !selfClosing
            default:
                break
            }
        case .end(let name):
            switch name {
            case "row": endRow()
            case "c": endCell()
            case "v": inValue = false
            case "t": inInlineText = false
            case "rPh": inPhonetic = false
            default: break
            }
        case .text(let text):
            if inValue || inInlineText { cellText += text }
        }
    }

    private func endCell() {
        let value: String
        switch cellType {
        case "s":
            value = Int(cellText).flatMap { $0 < sharedStrings.count ? sharedStrings[$0] : nil } ?? ""
        case "b":
            value = cellText == "1" ? "TRUE" : "FALSE"
        case "n":
            value = Self.displayNumber(cellText)
        default:
            value = cellText
        }
        if cellColumn >= currentRow.count {
            currentRow += Array(repeating: "", count: cellColumn - currentRow.count)
            currentRow.append(value)
        } else {
            currentRow[cellColumn] = value
        }
        cellText = ""
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

    static func parseSharedStrings(_ bytes: [UInt8]) -> [String] {
        var scanner = XMLScanner()
        scanner.feed(bytes)
        var strings: [String] = []
        var current = ""
        var inText = false
        var inPhonetic = false
        while let token = scanner.next() {
            switch token {
            case .start(let name, _, let selfClosing):
                if name == "si" { current = "" }
                if name == "t" { inText = !selfClosing && !inPhonetic }
                if name == "rPh" { inPhonetic = !selfClosing }
                if name == "si", selfClosing { strings.append("") }
            case .end(let name):
                if name == "t" { inText = false }
                if name == "rPh" { inPhonetic = false }
                if name == "si" { strings.append(current) }
            case .text(let text):
                if inText { current += text }
            }
        }
        return strings
    }

    /// The path of the first sheet in workbook order, through the workbook's relationships.
    static func firstSheetPath(workbook: [UInt8], relationships: [UInt8]?) -> String? {
        var scanner = XMLScanner()
        scanner.feed(workbook)
        var relationshipID: String?
        while let token = scanner.next() {
            if case .start("sheet", let attributes, _) = token {
                relationshipID = attributes["id"]
                break
            }
        }
        guard let relationshipID, let relationships else { return nil }
        var relations = XMLScanner()
        relations.feed(relationships)
        while let token = relations.next() {
            if case .start("Relationship", let attributes, _) = token, attributes["Id"] == relationshipID, let target = attributes["Target"] {
                if target.hasPrefix("/") { return String(target.dropFirst()) }
                return "xl/" + target
            }
        }
        return nil
    }
}
