import Foundation

/// The receipt (回执) a provider gets for a batch: counts, quality and every row that was not
/// accepted as it came.
///
/// The JSON form is documented in docs/receipts.md; field names there are the coding keys here.
public struct Receipt: Sendable, Hashable, Codable {
    public var batch: String
    public var resource: String
    public var sourceUnit: String
    public var channel: CollectionChannel
    public var fileName: String?
    public var format: ArtefactFormat?
    public var encoding: TextEncoding?
    /// The workbook sheet read, the first with a header; absent for other formats.
    public var sheet: String?
    public var status: BatchStatus
    public var receivedAt: Date
    public var completedAt: Date?
    public var rows: RowCounts
    public var quality: QualityScores?
    /// Columns of the file that no catalogue field claims; reported, not fatal.
    public var unknownColumns: [String]
    /// Fields the resource defines that the file has no column for.
    public var missingColumns: [String]
    /// Problems with the artefact as a whole (unreadable file, no header).
    public var batchProblems: [Issue]
    public var problems: [ProblemRow]
    /// Problem rows counted in `rows` but not listed, past the batch's allowance (a file of broken
    /// lines); absent when every problem row is listed.
    public var problemsOmitted: Int?

    public init(
        batch: String,
        resource: String,
        sourceUnit: String,
        channel: CollectionChannel,
        fileName: String?,
        format: ArtefactFormat?,
        encoding: TextEncoding?,
        status: BatchStatus,
        receivedAt: Date,
        completedAt: Date?,
        rows: RowCounts,
        quality: QualityScores?,
        unknownColumns: [String],
        missingColumns: [String],
        batchProblems: [Issue],
        problems: [ProblemRow],
        problemsOmitted: Int = 0,
        sheet: String? = nil
    ) {
        self.problemsOmitted = problemsOmitted > 0 ? problemsOmitted : nil
        self.sheet = sheet
        self.batch = batch
        self.resource = resource
        self.sourceUnit = sourceUnit
        self.channel = channel
        self.fileName = fileName
        self.format = format
        self.encoding = encoding
        self.status = status
        self.receivedAt = receivedAt
        self.completedAt = completedAt
        self.rows = rows
        self.quality = quality
        self.unknownColumns = unknownColumns
        self.missingColumns = missingColumns
        self.batchProblems = batchProblems
        self.problems = problems
    }

    enum CodingKeys: String, CodingKey {
        case batch, resource, channel, format, encoding, sheet, status, rows, quality, problems
        case sourceUnit = "source_unit"
        case fileName = "file_name"
        case receivedAt = "received_at"
        case completedAt = "completed_at"
        case unknownColumns = "unknown_columns"
        case missingColumns = "missing_columns"
        case batchProblems = "batch_problems"
        case problemsOmitted = "problems_omitted"
    }
}

/// Where a batch is in its life.
public enum BatchStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Stored verbatim and acknowledged; not yet processed.
    case received
    /// Being decoded and governed; some rows may already be committed.
    case processing
    /// Every row has a result.
    case completed
    /// The artefact could not be read at all (the receipt says why).
    case failed
}

/// Row counts of a batch. `fixed` rows are accepted and counted in `accepted` too.
public struct RowCounts: Sendable, Hashable, Codable {
    public var total: Int
    public var accepted: Int
    public var fixed: Int
    public var rejected: Int
    public var duplicate: Int
    public var conflict: Int

    public init(total: Int = 0, accepted: Int = 0, fixed: Int = 0, rejected: Int = 0, duplicate: Int = 0, conflict: Int = 0) {
        self.total = total
        self.accepted = accepted
        self.fixed = fixed
        self.rejected = rejected
        self.duplicate = duplicate
        self.conflict = conflict
    }

    public static func + (lhs: RowCounts, rhs: RowCounts) -> RowCounts {
        RowCounts(
            total: lhs.total + rhs.total,
            accepted: lhs.accepted + rhs.accepted,
            fixed: lhs.fixed + rhs.fixed,
            rejected: lhs.rejected + rhs.rejected,
            duplicate: lhs.duplicate + rhs.duplicate,
            conflict: lhs.conflict + rhs.conflict
        )
    }
}

/// Batch quality, each score between 0 and 1.
public struct QualityScores: Sendable, Hashable, Codable {
    /// Share of rows with every required (and conditionally required) value present.
    public var completeness: Double
    /// Share of rows whose values pass every type, code-list, check-character and cross-field rule.
    public var validity: Double
    /// Share of rows that are not repeats of a row already in the file or the store.
    public var uniqueness: Double
    /// Share of dated rows collected within the resource's timeliness window, when it has one.
    public var timeliness: Double?

    public init(completeness: Double, validity: Double, uniqueness: Double, timeliness: Double?) {
        self.completeness = completeness
        self.validity = validity
        self.uniqueness = uniqueness
        self.timeliness = timeliness
    }
}

/// One row that was not accepted as it came.
public struct ProblemRow: Sendable, Hashable, Codable {
    /// 1-based position among the data rows (header and instruction rows excluded).
    public var row: Int
    public var status: RowStatus
    public var issues: [Issue]
    /// For conflicts: the stored record the row disagrees with.
    public var conflict: ConflictReference?

    public init(row: Int, status: RowStatus, issues: [Issue], conflict: ConflictReference? = nil) {
        self.row = row
        self.status = status
        self.issues = issues
        self.conflict = conflict
    }
}

/// The outcome of one row.
public enum RowStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case accepted
    /// Accepted after normalisation; the issues say what was fixed.
    case fixed
    case rejected
    /// An exact repeat of a row earlier in the file or of a stored record; changes nothing.
    case duplicate
    /// The same business key with different content from another source unit; held for verification.
    case conflict
}

/// Where the stored side of a conflict came from.
public struct ConflictReference: Sendable, Hashable, Codable {
    public var id: String
    public var storedBatch: String
    public var storedRow: Int
    public var storedSourceUnit: String
    public var storedVersion: Int

    public init(id: String, storedBatch: String, storedRow: Int, storedSourceUnit: String, storedVersion: Int) {
        self.id = id
        self.storedBatch = storedBatch
        self.storedRow = storedRow
        self.storedSourceUnit = storedSourceUnit
        self.storedVersion = storedVersion
    }

    enum CodingKeys: String, CodingKey {
        case id
        case storedBatch = "stored_batch"
        case storedRow = "stored_row"
        case storedSourceUnit = "stored_source_unit"
        case storedVersion = "stored_version"
    }
}

/// One finding about one value or row, with a stable code and messages in Chinese and English.
public struct Issue: Sendable, Hashable, Codable {
    /// The field the issue is about, if one.
    public var field: String?
    public var code: IssueCode
    /// Chinese message.
    public var message: String
    public var messageEnglish: String
    /// For normalisations: the value as it came (omitted for sensitive fields).
    public var original: String?
    /// For normalisations: the value as stored (omitted for sensitive fields).
    public var value: String?

    /// A batch problem: why a whole artefact could not be read.
    public init(batchProblem error: CreditHubError) {
        self.init(field: nil, code: IssueCode(rawValue: error.code) ?? .unreadable, message: error.chineseMessage ?? error.message, messageEnglish: error.message)
    }

    public init(field: String?, code: IssueCode, message: String, messageEnglish: String, original: String? = nil, value: String? = nil) {
        self.field = field
        self.code = code
        self.message = message
        self.messageEnglish = messageEnglish
        self.original = original
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case field, code, message, original, value
        case messageEnglish = "message_en"
    }
}

/// Stable issue identifiers (docs/receipts.md lists each with its meaning).
public enum IssueCode: String, Sendable, Hashable, Codable, CaseIterable {
    /// A required value is missing.
    case required
    /// A value is not of the field's type (not a date, not a number…).
    case type
    /// A value is longer than the field allows.
    case length
    /// A value is not in the field's code list.
    case codeList = "code_list"
    /// A unified social credit code, organisation code or resident ID fails its check.
    case checksum
    /// Two dates are in the wrong order.
    case dateOrder = "date_order"
    /// An amount is negative.
    case negativeAmount = "negative_amount"
    /// A value required by another field's value is missing.
    case conditionalRequired = "conditional_required"
    /// A value was fixed; the row is accepted.
    case normalised
    /// A date lies after the reference date.
    case futureDate = "future_date"
    /// A placeholder code is used where it is not allowed, or without its companion value.
    case placeholder
    /// An amount disagrees with the amount written in the text (元 typed into a 万元 field).
    case amountMismatch = "amount_mismatch"
    /// The text could not be decoded in the detected encoding.
    case encoding
    /// The row has more cells than the header.
    case extraCells = "extra_cells"
    /// Two columns of the header give the same field (a label and its legacy name) and disagree in the row.
    case conflictingColumns = "conflicting_columns"
    /// A line of delimited text ends before the columns of required fields: one issue for all of them.
    case missingCells = "missing_cells"
    /// A quote opening a cell is never closed; it was read as text and the rows after it read as usual.
    case unclosedQuote = "unclosed_quote"
    /// The record is longer than any record can be (a damaged file): skipped whole, rows after it read as usual.
    case recordTooLong = "record_too_long"
    /// The same business key with the same content is already stored (or earlier in the file).
    case duplicate
    /// The same business key with different content from another source unit.
    case conflict
    /// The artefact could not be read.
    case unreadable
    /// The artefact is a kind of file no decoder reads (Excel 97-2003, a web page, PDF, an archive).
    case unsupportedFormat = "unsupported_format"
    /// Processing the batch took the server down several times at the same row; it was stopped there.
    case processingInterrupted = "processing_interrupted"
    /// No header row naming catalogue fields was found.
    case noHeader = "no_header"
    /// The header has no column for required fields: every row would be rejected for them.
    case missingRequiredColumns = "missing_required_columns"
    /// The submitting unit may not provide this resource or use this channel.
    case notPermitted = "not_permitted"
}
