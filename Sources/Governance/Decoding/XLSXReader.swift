import CreditKernel
import Foundation

/// Reads the worksheets of an XLSX workbook row by row, the first sheet first.
///
/// Two passes over the zip: the first collects the workbook's sheet order and the shared strings
/// (parsed as they are inflated), the second streams a sheet's XML, so memory holds the shared
/// strings but never the whole sheet or the whole shared-strings part. A template whose first
/// sheet is its instructions (填报说明) has the data on a later one: `nextSheet()` moves on.
/// Numbers come back as Excel shows them (15 significant digits); a date typed into Excel is a
/// serial number here, which the date normaliser converts in the workbook's date system.
final class XLSXReader: RecordSource {
    let encoding: TextEncoding? = .utf8
    private let path: String
    /// The workbook's sheets in its order, those the zip holds, at most `maximumSheets`.
    private let sheets: [(name: String, path: String)]
    private var sheetIndex = 0
    private let sharedStrings: TextRow
    private var archive: ArchiveReader
    private var sheet: Sheet
    private var nextPendingRow = 0
    private var finished = false
    /// Where the sheet was found damaged, thrown once the rows before it are read.
    private var damage: CreditHubError?
    let dateSystem: ExcelDateSystem

    /// Sheets looked at for a header: more than any template has, few enough that a workbook of
    /// thousands of sheets costs no more than a real one.
    static let maximumSheets = 16

    init(path: String) throws {
        self.path = path
        var sharedStrings = TextRow()
        var workbook: [UInt8]?
        var relationships: [UInt8]?
        let first = try ArchiveReader(path: path)
        var names: Set<String> = []
        while let name = try first.nextEntry() {
            names.insert(name)
            switch name {
            case "xl/workbook.xml": workbook = try first.readAll(maximum: DecodingLimits.maximumWorkbookPart)
            case "xl/_rels/workbook.xml.rels": relationships = try first.readAll(maximum: DecodingLimits.maximumWorkbookPart)
            case "xl/sharedStrings.xml": sharedStrings = try Self.parseSharedStrings(first)
            default: continue
            }
        }
        guard let workbook else {
            throw CreditHubError(code: "unreadable", message: "not an XLSX workbook: xl/workbook.xml is missing", chineseMessage: "不是 XLSX 工作簿（缺少 xl/workbook.xml），请用 Excel 另存为 .xlsx 后重新提交")
        }
        dateSystem = try Self.dateSystem(workbook: workbook)
        let listed = try Self.sheets(workbook: workbook, relationships: relationships)
        let firstPath = listed.first?.path ?? "xl/worksheets/sheet1.xml"
        guard names.contains(firstPath) else {
            throw CreditHubError(code: "unreadable", message: "the workbook's first sheet (\(firstPath)) is missing", chineseMessage: "工作簿缺少第一个工作表（\(firstPath)）")
        }
        sheets = Array((listed.isEmpty ? [(name: "Sheet1", path: firstPath)] : listed).filter { names.contains($0.path) }.prefix(Self.maximumSheets))
        self.sharedStrings = sharedStrings
        (archive, sheet) = try Self.open(sheets[0].path, in: path, sharedStrings: sharedStrings)
    }

    /// The archive positioned at the start of the sheet at `sheetPath`, and a fresh parse state.
    private static func open(_ sheetPath: String, in path: String, sharedStrings: TextRow) throws -> (ArchiveReader, Sheet) {
        let archive = try ArchiveReader(path: path)
        while let name = try archive.nextEntry(), name != sheetPath {}
        return (archive, Sheet(sharedStrings: sharedStrings))
    }

    /// The name of the sheet being read, as its tab shows it.
    var sheetName: String? { sheets[sheetIndex].name }

    /// Moves to the start of the next sheet in workbook order; false after the last.
    func nextSheet() throws -> Bool {
        guard sheetIndex + 1 < sheets.count else { return false }
        sheetIndex += 1
        (archive, sheet) = try Self.open(sheets[sheetIndex].path, in: path, sharedStrings: sharedStrings)
        nextPendingRow = 0
        finished = false
        damage = nil
        return true
    }

    func next() throws -> SourceRecord? {
        while nextPendingRow == sheet.pendingRows.count {
            if let damage {
                self.damage = nil
                finished = true
                throw damage
            }
            sheet.pendingRows.removeAll(keepingCapacity: true)
            nextPendingRow = 0
            if finished { return nil }
            let chunk = try archive.readChunk()
            if chunk.isEmpty {
                finished = true
                sheet.finish()
                break
            }
            do {
                try sheet.consume(chunk)
            } catch let error as CreditHubError {
                // The rows completed before the damage are given first.
                damage = error
            }
        }
        guard nextPendingRow < sheet.pendingRows.count else { return nil }
        defer { nextPendingRow += 1 }
        return SourceRecord(sheet.pendingRows[nextPendingRow])
    }

    /// A cell's `t` attribute: how its value is stored.
    enum CellType {
        case sharedString, boolean, number, other

        init(_ attribute: XMLScanner.Bytes?) {
            guard let attribute else {
                self = .number
                return
            }
            switch attribute.count == 1 ? attribute.first : nil {
            case UInt8(ascii: "s"): self = .sharedString
            case UInt8(ascii: "b"): self = .boolean
            case UInt8(ascii: "n"): self = .number
            default: self = .other
            }
        }
    }

    /// The sheet's parse state, as one value: read and changed token by token, it costs one
    /// exclusive access per read rather than one per property per token.
    ///
    /// References are held to Excel's sheet size and a row to `DecodingLimits.maximumRecordBytes`,
    /// so a damaged or crafted sheet (`r="ZZZZZZ1"`, a row numbered in the billions) costs no more
    /// than a real one.
    private struct Sheet {
        let sharedStrings: TextRow
        var scanner = XMLScanner()
        /// Rows completed and not yet returned.
        var pendingRows: [TextRow] = []
        /// The row number (`r`) of the last row completed, to fill gaps with empty rows.
        var lastRowNumber = 0
        var currentRow = TextRow()
        var currentRowNumber = 0
        var cellColumn = 0
        var cellType = CellType.number
        var cellText: [UInt8] = []
        var inValue = false
        var inInlineText = false
        var inPhonetic = false
        /// The row passed `maximumRecordBytes`: its cells are dropped and it is given as too long.
        var rowTooLong = false
        /// Cells given again or out of column order, placed when the row ends.
        var laterCells: [Int: String] = [:]

        init(sharedStrings: TextRow) {
            self.sharedStrings = sharedStrings
        }

        /// Reads the next piece of the sheet's XML.
        mutating func consume(_ chunk: [UInt8]) throws {
            // The scanner is taken out while it hands tokens to `handle`, which changes the rest of the sheet.
            var scanner = XMLScanner()
            swap(&scanner, &self.scanner)
            defer { swap(&scanner, &self.scanner) }
            scanner.feed(chunk)
            try scanner.scan { token, bytes in try handle(token, bytes) }
        }

        /// At the end of the sheet: a row left open still counts.
        mutating func finish() {
            if !currentRow.isEmpty || rowTooLong { pendingRows.append(completedRow()) }
        }

        /// The elements of a sheet that matter, told apart by length and first byte before any is compared whole.
        private enum Element {
            case cell, value, row, text, phonetic, other

            init(_ name: Range<Int>, in bytes: XMLScanner.Bytes) {
                switch (name.count, name.isEmpty ? 0 : bytes[name.lowerBound]) {
                case (1, UInt8(ascii: "c")): self = .cell
                case (1, UInt8(ascii: "v")): self = .value
                case (1, UInt8(ascii: "t")): self = .text
                case (3, UInt8(ascii: "r")):
                    self = XMLScanner.equals(name, "row", in: bytes) ? .row : XMLScanner.equals(name, "rPh", in: bytes) ? .phonetic : .other
                default: self = .other
                }
            }
        }

        private mutating func handle(_ token: XMLScanner.Token, _ bytes: XMLScanner.Bytes) throws {
            switch token {
            case .start(let tag):
                switch Element(tag.name, in: bytes) {
                case .cell:
                    // One pass over the attributes finds both.
                    var type: Range<Int>?
                    var reference: Range<Int>?
                    tag.forEachAttribute(in: bytes) { name, value in
                        if XMLScanner.equals(name, "t", in: bytes) { type = value } else if XMLScanner.equals(name, "r", in: bytes) { reference = value }
                        return type == nil || reference == nil
                    }
                    cellType = XMLScanner.withDecoded(type, in: bytes, CellType.init)
                    cellText.removeAll(keepingCapacity: true)
                    let column = XMLScanner.withDecoded(reference, in: bytes) { reference in reference.map { XLSXReader.columnIndex($0) } ?? currentRow.count }
                    guard let column else {
                        throw DecodingLimits.damagedSheet(
                            "cell reference \(tag.attribute("r", in: bytes)?.prefix(32) ?? "") is beyond column XFD", chinese: "单元格引用超出 Excel 的列范围（XFD）"
                        )
                    }
                    cellColumn = column
                    if tag.selfClosing { endCell() }
                case .value:
                    inValue = !tag.selfClosing
                case .row:
                    // Rows of a sheet are alike: room for what the last one held.
                    let previous = pendingRows.last
                    currentRow = TextRow()
                    currentRow.reserve(bytes: previous?.bytes.count ?? 0, cells: previous?.count ?? 0)
                    rowTooLong = false
                    laterCells = [:]
                    // Rows come in ascending order; a number that does not ascend is taken as the next row's.
                    currentRowNumber = max(lastRowNumber + 1, tag.withAttribute("r", in: bytes) { $0.flatMap(XLSXReader.number) } ?? 0)
                    guard currentRowNumber <= DecodingLimits.maximumSheetRows else {
                        throw DecodingLimits.damagedSheet("row \(currentRowNumber) is beyond row 1,048,576", chinese: "行号 \(currentRowNumber) 超出 Excel 的行范围（1048576）")
                    }
                    if tag.selfClosing { endRow() }
                case .text:
                    inInlineText = !tag.selfClosing && !inPhonetic
                case .phonetic:
                    inPhonetic = !tag.selfClosing
                case .other:
                    break
                }
            case .end(let name):
                switch Element(name, in: bytes) {
                case .cell: endCell()
                case .value: inValue = false
                case .row: endRow()
                case .text: inInlineText = false
                case .phonetic: inPhonetic = false
                case .other: break
                }
            case .text(let text):
                guard inValue || inInlineText, !rowTooLong else { return }
                text.append(to: &cellText, from: bytes)
                if cellText.count > DecodingLimits.maximumRecordBytes { cutRow() }
            }
        }

        /// Drops what the row holds; the rest of its cells are skipped.
        private mutating func cutRow() {
            rowTooLong = true
            currentRow = TextRow()
            laterCells = [:]
            cellText = []
        }

        private mutating func endCell() {
            defer { cellText.removeAll(keepingCapacity: true) }
            guard !rowTooLong else { return }
            guard cellColumn >= currentRow.count else {
                // A column given again or out of order: placed once the row is complete, so a
                // row of such cells costs no more than one in order.
                laterCells[cellColumn] = cellValue()
                return
            }
            while currentRow.count < cellColumn { currentRow.append("") }
            switch cellType {
            case .sharedString:
                if let index = sharedStringIndex {
                    currentRow.append(cell: index, of: sharedStrings)
                } else {
                    currentRow.append("")
                }
            case .other:
                cellText.withUnsafeBufferPointer { currentRow.append($0) }
            case .boolean, .number:
                currentRow.append(cellValue())
            }
            if currentRow.bytes.count + currentRow.count > DecodingLimits.maximumRecordBytes { cutRow() }
        }

        /// The shared string a `t="s"` cell names, if there is one by that index.
        private var sharedStringIndex: Int? {
            XLSXReader.number(cellText[...]).flatMap { $0 < sharedStrings.count ? $0 : nil }
        }

        /// The cell's value as Excel shows it.
        private func cellValue() -> String {
            switch cellType {
            case .sharedString:
                sharedStringIndex.map(sharedStrings.cell) ?? ""
            case .boolean:
                cellText == [UInt8(ascii: "1")] ? "TRUE" : "FALSE"
            case .number:
                XLSXReader.displayNumber(String(decoding: cellText, as: UTF8.self))
            case .other:
                String(decoding: cellText, as: UTF8.self)
            }
        }

        private mutating func endRow() {
            // Rows absent from the sheet are empty rows in the grid.
            if lastRowNumber + 1 < currentRowNumber {
                for _ in (lastRowNumber + 1)..<currentRowNumber { pendingRows.append(TextRow()) }
            }
            pendingRows.append(completedRow())
            lastRowNumber = currentRowNumber
            currentRow = TextRow()
        }

        /// The current row with its later cells in place, or marked too long.
        private mutating func completedRow() -> TextRow {
            if rowTooLong {
                var marker = TextRow()
                marker.isTruncated = true
                return marker
            }
            guard !laterCells.isEmpty else { return currentRow }
            var cells = currentRow.cells
            for (column, value) in laterCells { cells[column] = value }
            laterCells = [:]
            return TextRow(cells: cells)
        }
    }

    /// A row number or shared-string index: ASCII digits only.
    static func number(_ digits: some Collection<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// `AB12` → 27 (0-based column); nil beyond Excel's last column (XFD).
    static func columnIndex(_ reference: some Collection<UInt8>) -> Int? {
        var index = 0
        for byte in reference {
            guard byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") else { break }
            index = index * 26 + Int(byte - UInt8(ascii: "A")) + 1
            if index > DecodingLimits.maximumSheetColumns { return nil }
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

    /// The shared strings of the archive's current entry, read a piece at a time: one cell each.
    static func parseSharedStrings(_ archive: ArchiveReader) throws -> TextRow {
        var scanner = XMLScanner()
        var strings = TextRow()
        var current: [UInt8] = []
        var inText = false
        var inPhonetic = false
        while true {
            let chunk = try archive.readChunk()
            if chunk.isEmpty { return strings }
            scanner.feed(chunk)
            try scanner.scan { token, bytes in
                switch token {
                case .start(let tag):
                    if tag.isNamed("si", in: bytes) { current.removeAll(keepingCapacity: true) }
                    if tag.isNamed("t", in: bytes) { inText = !tag.selfClosing && !inPhonetic }
                    if tag.isNamed("rPh", in: bytes) { inPhonetic = !tag.selfClosing }
                    if tag.isNamed("si", in: bytes), tag.selfClosing { strings.append("") }
                case .end(let name):
                    if XMLScanner.equals(name, "t", in: bytes) { inText = false }
                    if XMLScanner.equals(name, "rPh", in: bytes) { inPhonetic = false }
                    if XMLScanner.equals(name, "si", in: bytes) {
                        current.withUnsafeBufferPointer { strings.append($0) }
                        guard strings.bytes.count <= DecodingLimits.maximumSharedStringBytes else {
                            throw DecodingLimits.damagedSheet(
                                "its shared strings pass \(DecodingLimits.maximumSharedStringBytes >> 20) MiB", chinese: "共享字符串超过 \(DecodingLimits.maximumSharedStringBytes >> 20) MiB"
                            )
                        }
                    }
                case .text(let text):
                    guard inText else { return }
                    text.append(to: &current, from: bytes)
                    guard current.count <= DecodingLimits.maximumXMLToken else {
                        throw DecodingLimits.damagedSheet("a shared string longer than \(DecodingLimits.maximumXMLToken >> 20) MiB", chinese: "含有超过 \(DecodingLimits.maximumXMLToken >> 20) MiB 的共享字符串")
                    }
                }
            }
        }
    }

    /// The workbook's date system, from `<workbookPr date1904="1"/>` (an XML boolean: 1 or true).
    static func dateSystem(workbook: [UInt8]) throws -> ExcelDateSystem {
        var scanner = XMLScanner()
        scanner.feed(workbook)
        var system = ExcelDateSystem.from1900
        try scanner.scan { token, bytes in
            if case .start(let tag) = token, tag.isNamed("workbookPr", in: bytes), let flag = tag.attribute("date1904", in: bytes), flag == "1" || flag == "true" {
                system = .from1904
            }
        }
        return system
    }

    /// The workbook's sheets in its order: each one's name and its part's path, through the
    /// workbook's relationships (none without them).
    static func sheets(workbook: [UInt8], relationships: [UInt8]?) throws -> [(name: String, path: String)] {
        guard let relationships else { return [] }
        var scanner = XMLScanner()
        scanner.feed(workbook)
        var listed: [(name: String, relationship: String)] = []
        try scanner.scan { token, bytes in
            if case .start(let tag) = token, tag.isNamed("sheet", in: bytes), let relationship = tag.attribute("id", in: bytes) {
                listed.append((tag.attribute("name", in: bytes) ?? "", relationship))
            }
        }
        var relations = XMLScanner()
        relations.feed(relationships)
        var targets: [String: String] = [:]
        try relations.scan { token, bytes in
            guard case .start(let tag) = token, tag.isNamed("Relationship", in: bytes), let id = tag.attribute("Id", in: bytes),
                let target = tag.attribute("Target", in: bytes)
            else { return }
            targets[id] = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        }
        return listed.compactMap { sheet in targets[sheet.relationship].map { (sheet.name, $0) } }
    }
}
