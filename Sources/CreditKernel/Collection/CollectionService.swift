import Foundation

/// What adapters call: the pipeline's front door.
public protocol CollectionService: Sendable {
    /// Stores the artefact verbatim and acknowledges it with a batch id. Identical bytes from the
    /// same unit for the same resource (or a repeated idempotency key) return the existing batch.
    func submit(_ submission: Submission) async throws -> Acknowledgement
    /// Waits until the batch has a result or `timeout` passes, then returns its current summary.
    func waitForCompletion(batch: String, timeout: Duration) async throws -> BatchSummary?
    func summary(batch: String) async throws -> BatchSummary?
    /// A unit's batches, newest first.
    func summaries(sourceUnit: String, limit: Int) async throws -> [BatchSummary]
    /// A batch's receipt without its problem rows; `problems(batch:afterRow:limit:)` pages those, so
    /// a large batch's receipt is never held in memory whole (see `ReceiptJSON.write`).
    func receiptSummary(batch: String) async throws -> Receipt?
    /// Up to `limit` problem rows after row `afterRow`, in row order.
    func problems(batch: String, afterRow: Int, limit: Int) async throws -> [ProblemRow]
    /// The same rows as `problems(batch:afterRow:limit:)`, as the JSON the store keeps them in.
    func problemRowsJSON(batch: String, afterRow: Int, limit: Int) async throws -> [ProblemRowJSON]
    /// Writes the rejected rows as CSV (UTF-8 with BOM, the original columns plus the row number
    /// and a reason column) for the provider to fix in Excel and submit again, reading `pageRows`
    /// problem rows at a time. Returns false, having written nothing, when there is no such batch.
    func writeRejectedRowsCSV(batch: String, pageRows: Int, to emit: (Data) async throws -> Void) async throws -> Bool
}

extension CollectionService {
    /// Problem rows per page when a receipt is written out.
    public static var receiptPageSize: Int { 5_000 }

    /// The whole receipt, problem rows included, in memory.
    public func receipt(batch: String) async throws -> Receipt? {
        guard var receipt = try await receiptSummary(batch: batch) else { return nil }
        while true {
            let page = try await problems(batch: batch, afterRow: receipt.problems.last?.row ?? 0, limit: Self.receiptPageSize)
            if page.isEmpty { return receipt }
            receipt.problems += page
        }
    }

    /// Writes the receipt's JSON in pieces, its problem rows read `pageRows` at a time.
    public func writeReceiptJSON(
        batch summary: Receipt, pretty: Bool, indent: String = "", pageRows: Int = receiptPageSize, to emit: (String) async throws -> Void
    ) async throws {
        try await ReceiptJSON.write(summary, pretty: pretty, indent: indent, problems: { after in
            try await problemRowsJSON(batch: summary.batch, afterRow: after, limit: pageRows)
        }, to: emit)
    }

    public func writeRejectedRowsCSV(batch: String, to emit: (Data) async throws -> Void) async throws -> Bool {
        try await writeRejectedRowsCSV(batch: batch, pageRows: Self.receiptPageSize, to: emit)
    }
}

/// The answer to a submission.
public struct Acknowledgement: Sendable, Hashable, Codable {
    public var batch: String
    public var status: BatchStatus
    /// The submission repeats one already received (same bytes or same idempotency key).
    public var existing: Bool
    public var sha256: String

    public init(batch: String, status: BatchStatus, existing: Bool, sha256: String) {
        self.batch = batch
        self.status = status
        self.existing = existing
        self.sha256 = sha256
    }
}

/// A batch's state, without its problem rows.
public struct BatchSummary: Sendable, Hashable, Codable {
    public var batch: String
    public var resource: String
    public var sourceUnit: String
    public var channel: CollectionChannel
    public var status: BatchStatus
    public var fileName: String?
    public var sha256: String
    public var size: Int64
    public var receivedAt: Date
    public var completedAt: Date?
    /// Data rows with a committed result so far.
    public var processedRows: Int
    public var rows: RowCounts
    public var quality: QualityScores?

    public init(
        batch: String, resource: String, sourceUnit: String, channel: CollectionChannel, status: BatchStatus,
        fileName: String?, sha256: String, size: Int64, receivedAt: Date, completedAt: Date?, processedRows: Int,
        rows: RowCounts, quality: QualityScores?
    ) {
        self.batch = batch
        self.resource = resource
        self.sourceUnit = sourceUnit
        self.channel = channel
        self.status = status
        self.fileName = fileName
        self.sha256 = sha256
        self.size = size
        self.receivedAt = receivedAt
        self.completedAt = completedAt
        self.processedRows = processedRows
        self.rows = rows
        self.quality = quality
    }

    enum CodingKeys: String, CodingKey {
        case batch, resource, channel, status, sha256, size, rows, quality
        case sourceUnit = "source_unit"
        case fileName = "file_name"
        case receivedAt = "received_at"
        case completedAt = "completed_at"
        case processedRows = "processed_rows"
    }
}
