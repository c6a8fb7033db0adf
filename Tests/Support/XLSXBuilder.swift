import CArchive
import Foundation

/// Writes a minimal but real XLSX workbook (a zip of SpreadsheetML parts) for decoder tests, the
/// way Excel lays it out: shared strings with phonetic runs, inline strings, numbers, date serials,
/// a gap in the rows, and the worksheet before the shared strings in the zip.
public enum XLSXBuilder {
    public enum Cell {
        case shared(String)
        case inline(String)
        case number(String)
        case empty
        /// A cell's XML exactly as given (its own reference, or none).
        case raw(String)
    }

    /// - Parameter date1904: the workbook counts date serials from 1904, as old Excel for Mac's do.
    public static func write(rows: [[Cell]], to path: String, sheetName: String = "Sheet1", skipRowAfter: Int? = nil, date1904: Bool = false) throws {
        try write(sheets: [(sheetName, rows)], to: path, skipRowAfter: skipRowAfter, date1904: date1904)
    }

    /// Writes a workbook of several sheets, in this order, sharing one shared-strings part.
    public static func write(sheets: [(name: String, rows: [[Cell]])], to path: String, skipRowAfter: Int? = nil, date1904: Bool = false) throws {
        var shared: [String] = []
        let sheetXMLs = sheets.map { (name: $0.name, xml: sheetXML($0.rows, shared: &shared, skipRowAfter: skipRowAfter)) }
        var strings = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"\(shared.count)\">"
        for text in shared {
            // A phonetic run, as Chinese Excel adds, that must not leak into the value.
            strings += "<si><r><t>\(escape(text))</t></r><rPh sb=\"0\" eb=\"1\"><t>ピン</t></rPh></si>"
        }
        strings += "</sst>"
        try write(parts: parts(sheets: sheetXMLs, sharedStringsXML: strings, workbookXML: nil, date1904: date1904), to: path)
    }

    static func sheetXML(_ rows: [[Cell]], shared: inout [String], skipRowAfter: Int?) -> String {
        var sheet = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
        var rowNumber = 0
        for row in rows {
            rowNumber += 1
            if let skip = skipRowAfter, rowNumber == skip + 1 { rowNumber += 1 }
            sheet += "<row r=\"\(rowNumber)\">"
            for (column, cell) in row.enumerated() {
                let reference = columnName(column) + String(rowNumber)
                switch cell {
                case .shared(let text):
                    shared.append(text)
                    sheet += "<c r=\"\(reference)\" t=\"s\"><v>\(shared.count - 1)</v></c>"
                case .inline(let text):
                    sheet += "<c r=\"\(reference)\" t=\"inlineStr\"><is><t>\(escape(text))</t></is></c>"
                case .number(let text):
                    sheet += "<c r=\"\(reference)\"><v>\(text)</v></c>"
                case .empty:
                    continue
                case .raw(let xml):
                    sheet += xml
                }
            }
            sheet += "</row>"
        }
        return sheet + "</sheetData></worksheet>"
    }

    /// Writes a workbook whose first sheet and shared strings are the XML given, as it is.
    public static func write(sheetXML sheet: String, sharedStringsXML strings: String, to path: String, sheetName: String = "Sheet1", workbookXML: String? = nil) throws {
        try write(parts: parts(sheets: [(sheetName, sheet)], sharedStringsXML: strings, workbookXML: workbookXML), to: path)
    }

    /// The parts of a workbook, each sheet before the shared strings as Excel lays them out.
    static func parts(sheets: [(name: String, xml: String)], sharedStringsXML strings: String, workbookXML: String?, date1904: Bool = false) -> [(String, String)] {
        let properties = date1904 ? "<workbookPr date1904=\"1\" defaultThemeVersion=\"124226\"/>" : ""
        let entries = sheets.indices.map { "<sheet name=\"\(escape(sheets[$0].name))\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined()
        let relationships = sheets.indices.map {
            "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>"
        }.joined()
        return [("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>")]
            + sheets.indices.map { ("xl/worksheets/sheet\($0 + 1).xml", sheets[$0].xml) }
            + [
                (
                    "xl/workbook.xml",
                    workbookXML ?? "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\(properties)<sheets>\(entries)</sheets></workbook>"
                ),
                ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\(relationships)</Relationships>"),
                ("xl/sharedStrings.xml", strings),
            ]
    }

    static func write(parts: [(String, String)], to path: String) throws {
        let archive = archive_write_new()
        defer { archive_write_free(archive) }
        archive_write_set_format_zip(archive)
        guard archive_write_open_filename(archive, path) == ARCHIVE_OK else { throw TestSupportError("cannot write \(path)") }
        for (name, text) in parts {
            let bytes = Array(text.utf8)
            let entry = archive_entry_new()
            archive_entry_set_pathname(entry, name)
            archive_entry_set_size(entry, Int64(bytes.count))
            archive_entry_set_filetype(entry, 0o100000)  // AE_IFREG
            archive_entry_set_perm(entry, 0o644)
            archive_write_header(archive, entry)
            _ = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            archive_entry_free(entry)
        }
        archive_write_close(archive)
    }

    public static func columnName(_ index: Int) -> String {
        var index = index + 1
        var name = ""
        while index > 0 {
            let remainder = (index - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + remainder))) + name
            index = (index - 1) / 26
        }
        return name
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
