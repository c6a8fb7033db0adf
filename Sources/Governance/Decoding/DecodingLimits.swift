import CreditKernel

/// What one record may cost while an artefact is decoded. A damaged or hostile file (a binary
/// renamed `.csv`, a line with no end, a zip whose sheet inflates without bound) must cost bounded
/// memory and time and then be answered, never crash the server or stall its workers.
public enum DecodingLimits {
    /// Far above any catalogue record (the longest fields hold a few thousand characters): a longer
    /// record is cut, skipped to its end and rejected with `record_too_long`; the rows after it are
    /// read as usual.
    public static let maximumRecordBytes = 4 << 20

    /// Excel's own sheet size (ECMA-376): a cell or row reference beyond it is a damaged sheet.
    static let maximumSheetColumns = 16_384
    static let maximumSheetRows = 1_048_576

    /// A single XML tag or text node of a spreadsheet part: Excel keeps a cell to 32,767 characters.
    static let maximumXMLToken = 4 << 20

    /// The workbook part and its relationships, read whole: they list sheets, a few kilobytes.
    static let maximumWorkbookPart = 4 << 20

    /// The shared strings a workbook may hold in memory (every distinct text of the sheet).
    static let maximumSharedStringBytes = 512 << 20

    static func damagedSheet(_ detail: String, chinese: String) -> CreditHubError {
        CreditHubError(code: "unreadable", message: "damaged worksheet: \(detail)", chineseMessage: "工作表已损坏：\(chinese)；请用 Excel 打开后另存为 .xlsx 再提交")
    }
}
