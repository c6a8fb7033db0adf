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
    func receipt(batch: String) async throws -> Receipt?
    /// The rejected rows as CSV (UTF-8 with BOM, the original columns plus a reason column) for the
    /// provider to fix in Excel and submit again.
    func rejectedRowsCSV(batch: String) async throws -> Data?
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
