import CreditKernel
import Foundation

/// Batches, governed record versions, conflicts, receipts' problem rows, the subject theme and
/// batch quality: everything the collection pipeline keeps.
public protocol CollectionRepository: Sendable {
    /// Records a received batch, unless the same unit already sent the same bytes for the same
    /// resource, or the same idempotency key: then the existing batch is returned with `created == false`.
    func createBatch(_ batch: NewBatch) async throws -> (batch: StoredBatch, created: Bool)
    func batch(id: String) async throws -> StoredBatch?
    /// Batches received or being processed: what a restarted worker resumes.
    func unfinishedBatches() async throws -> [StoredBatch]
    /// Batches, newest first, optionally only one source unit's or only those in one status.
    func batches(sourceUnit: String?, status: BatchStatus?, limit: Int) async throws -> [StoredBatch]
    /// Marks a batch as being processed and records what the decoder found out about it.
    func startBatch(id: String, decoding: BatchDecoding) async throws
    /// Counts a start of processing: returns how many starts in a row found the batch at its
    /// present progress without any of them ending, this one included. Starts that end in an error
    /// or a shutdown are released (`releaseBatch`), so what counts are starts that took the process
    /// down (a crash, a kill) before the batch moved on.
    func claimBatch(id: String) async throws -> Int
    /// Takes back a start that ended without taking the process down.
    func releaseBatch(id: String) async throws
    /// Makes a failed batch unfinished again, its batch problems and interrupted starts cleared and
    /// its committed rows kept, so that processing resumes after them. False if it was not failed.
    func reopenBatch(id: String) async throws -> Bool

    /// The current version of each record among `keyHashes`, and the change-feed head the answer
    /// is consistent with.
    func currentRecords(keyHashes: [Digest128]) async throws -> (records: [Digest128: CurrentRecord], head: Int64)
    /// The ids of open conflicts among `keyHashes`, by (key hash, incoming source, incoming content hash).
    func openConflicts(keyHashes: [Digest128]) async throws -> [ConflictIdentity: String]
    /// Writes one chunk's results atomically: new record versions, conflicts, problem rows and the
    /// batch's progress. Throws ``StaleChunkError`` if another writer changed one
    /// of the chunk's records after `observedHead`, so the caller can classify the chunk again.
    /// Returns the change-feed positions the chunk's new versions took (nil when it has none).
    @discardableResult
    func commitChunk(_ chunk: ChunkCommit) async throws -> ClosedRange<Int64>?
    /// Finishes a batch with its status and quality.
    func finishBatch(id: String, status: BatchStatus, completedAt: Date, batchProblems: [Issue]) async throws
    /// Up to `limit` problem rows of a batch after row `afterRow`, by row: a large batch's
    /// receipt is read page by page.
    func problems(batchID: String, afterRow: Int, limit: Int) async throws -> [StoredProblem]
    /// The same rows without their original cells, their issues left as the stored JSON: what a
    /// receipt is written from.
    func problemRowsJSON(batchID: String, afterRow: Int, limit: Int) async throws -> [ProblemRowJSON]

    /// How many problem rows of each status a batch has stored.
    func problemCounts(batchID: String) async throws -> [RowStatus: Int]

    /// Every version of one record, oldest first.
    func recordHistory(resourceID: String, businessKey: String) async throws -> [RecordVersion]
    /// Accepted changes after `sequence`, in order: the change feed.
    func changes(after sequence: Int64, limit: Int, resourceIDs: [String]?, division: String?) async throws -> [RecordVersion]

    func conflicts(status: ConflictStatus?, limit: Int) async throws -> [ConflictRecord]
    func conflict(id: String) async throws -> ConflictRecord?
    /// Resolves an open conflict. Choosing the incoming side writes it as the record's next version.
    func resolveConflict(id: String, keepIncoming: Bool, resolvedBy: String, reason: String, at time: Date) async throws -> ConflictRecord

    /// Brings the per-subject theme up to date with at most `limit` record versions after its
    /// position in the change feed; returns how far it advanced in feed positions: 0 when it is
    /// current, `limit` while more remain (a position left unused by a rolled-back write counts).
    func projectSubjectTheme(limit: Int) async throws -> Int
    /// The change-feed position the per-subject theme reflects.
    func subjectThemePosition() async throws -> Int64
    /// The per-subject theme: one row per resource the subject has records in.
    func subjectSummary(subjectCode: String) async throws -> [SubjectResourceSummary]
    /// Quality of completed batches, oldest first, filtered by source unit, resource and time.
    func qualityHistory(sourceUnit: String?, resourceID: String?, from: Date?, to: Date?) async throws -> [QualityPoint]
}

/// A batch as first recorded, before processing.
public struct NewBatch: Sendable, Hashable {
    public var id: String
    public var resourceID: String
    public var resourceVersion: Int
    public var sourceUnit: String
    public var channel: CollectionChannel
    public var sha256: String
    public var size: Int64
    public var fileName: String?
    public var format: ArtefactFormat?
    public var declaredEncoding: TextEncoding?
    public var idempotencyKey: String?
    public var submittedBy: String
    public var receivedAt: Date

    public init(
        id: String, resourceID: String, resourceVersion: Int, sourceUnit: String, channel: CollectionChannel, sha256: String, size: Int64,
        fileName: String?, format: ArtefactFormat?, declaredEncoding: TextEncoding?, idempotencyKey: String?, submittedBy: String, receivedAt: Date
    ) {
        self.id = id
        self.resourceID = resourceID
        self.resourceVersion = resourceVersion
        self.sourceUnit = sourceUnit
        self.channel = channel
        self.sha256 = sha256
        self.size = size
        self.fileName = fileName
        self.format = format
        self.declaredEncoding = declaredEncoding
        self.idempotencyKey = idempotencyKey
        self.submittedBy = submittedBy
        self.receivedAt = receivedAt
    }
}

/// What decoding found out about an artefact.
public struct BatchDecoding: Sendable, Hashable, Codable {
    public var format: ArtefactFormat
    public var encoding: TextEncoding?
    /// The workbook sheet read (the first with a header); nil for other formats.
    public var sheet: String?
    public var header: [String]
    public var unknownColumns: [String]
    public var missingColumns: [String]

    public init(format: ArtefactFormat, encoding: TextEncoding?, sheet: String? = nil, header: [String], unknownColumns: [String], missingColumns: [String]) {
        self.format = format
        self.encoding = encoding
        self.sheet = sheet
        self.header = header
        self.unknownColumns = unknownColumns
        self.missingColumns = missingColumns
    }
}

/// Per-row tallies behind the quality scores.
public struct QualityTally: Sendable, Hashable, Codable {
    public var completeRows: Int
    public var validRows: Int
    public var datedRows: Int
    public var timelyRows: Int

    public init(completeRows: Int = 0, validRows: Int = 0, datedRows: Int = 0, timelyRows: Int = 0) {
        self.completeRows = completeRows
        self.validRows = validRows
        self.datedRows = datedRows
        self.timelyRows = timelyRows
    }

    public static func + (lhs: QualityTally, rhs: QualityTally) -> QualityTally {
        QualityTally(
            completeRows: lhs.completeRows + rhs.completeRows, validRows: lhs.validRows + rhs.validRows,
            datedRows: lhs.datedRows + rhs.datedRows, timelyRows: lhs.timelyRows + rhs.timelyRows
        )
    }

    /// The scores for `rows`; nil when there were no rows.
    public func scores(rows: RowCounts) -> QualityScores? {
        guard rows.total > 0 else { return nil }
        let total = Double(rows.total)
        return QualityScores(
            completeness: Double(completeRows) / total,
            validity: Double(validRows) / total,
            uniqueness: 1 - Double(rows.duplicate) / total,
            timeliness: datedRows > 0 ? Double(timelyRows) / Double(datedRows) : nil
        )
    }
}

/// A batch as the store keeps it.
public struct StoredBatch: Sendable, Hashable {
    public var batch: NewBatch
    public var status: BatchStatus
    public var processedRows: Int
    public var rows: RowCounts
    public var tally: QualityTally
    public var decoding: BatchDecoding?
    public var batchProblems: [Issue]
    public var completedAt: Date?
    /// Problem rows counted but not stored row by row, past `ingest.maximum-problem-rows`.
    public var problemsOmitted: Int

    public init(
        batch: NewBatch, status: BatchStatus, processedRows: Int, rows: RowCounts, tally: QualityTally, decoding: BatchDecoding?, batchProblems: [Issue],
        completedAt: Date?, problemsOmitted: Int = 0
    ) {
        self.problemsOmitted = problemsOmitted
        self.batch = batch
        self.status = status
        self.processedRows = processedRows
        self.rows = rows
        self.tally = tally
        self.decoding = decoding
        self.batchProblems = batchProblems
        self.completedAt = completedAt
    }

    public var quality: QualityScores? { status == .completed ? tally.scores(rows: rows) : nil }
}

/// The current version of a record, as far as classification needs it.
public struct CurrentRecord: Sendable, Hashable {
    public var sequence: Int64
    public var version: Int
    public var sourceUnit: String
    public var contentHash: Digest128
    public var batchID: String
    public var rowNumber: Int

    public init(sequence: Int64, version: Int, sourceUnit: String, contentHash: Digest128, batchID: String, rowNumber: Int) {
        self.sequence = sequence
        self.version = version
        self.sourceUnit = sourceUnit
        self.contentHash = contentHash
        self.batchID = batchID
        self.rowNumber = rowNumber
    }
}

/// What a record version says: lineage plus the governed content.
public struct RecordVersion: Sendable, Hashable {
    /// Position in the change feed (assigned by the store).
    public var sequence: Int64
    public var resourceID: String
    public var keyHash: Digest128
    public var businessKey: String
    public var version: Int
    public var operation: RecordOperation
    public var subjectCode: String
    public var subjectType: SubjectType?
    public var subjectName: String
    /// 6-digit administrative division of the subject (from its code), for regional feeds.
    public var division: String
    /// The record's dated event (decision date), `YYYY-MM-DD`, for the theme.
    public var eventDate: String?
    public var sourceUnit: String
    public var batchID: String
    public var rowNumber: Int
    public var contentHash: Digest128
    /// The governed content: a JSON object of field id → value, as UTF-8. Kept as bytes because
    /// the pipeline writes them to the store as they are, never needing them as text.
    public var json: [UInt8]
    public var recordedAt: Date
    /// The change-feed position of the version this one replaces.
    public var supersedes: Int64?

    public init(
        sequence: Int64, resourceID: String, keyHash: Digest128, businessKey: String, version: Int, operation: RecordOperation,
        subjectCode: String, subjectType: SubjectType?, subjectName: String, division: String, eventDate: String? = nil, sourceUnit: String,
        batchID: String, rowNumber: Int, contentHash: Digest128, json: [UInt8], recordedAt: Date, supersedes: Int64?
    ) {
        self.sequence = sequence
        self.resourceID = resourceID
        self.keyHash = keyHash
        self.businessKey = businessKey
        self.version = version
        self.operation = operation
        self.subjectCode = subjectCode
        self.subjectType = subjectType
        self.subjectName = subjectName
        self.division = division
        self.eventDate = eventDate
        self.sourceUnit = sourceUnit
        self.batchID = batchID
        self.rowNumber = rowNumber
        self.contentHash = contentHash
        self.json = json
        self.recordedAt = recordedAt
        self.supersedes = supersedes
    }

    /// The governed content as JSON text.
    public var data: String { String(decoding: json, as: UTF8.self) }
}

/// Why a record version exists.
public enum RecordOperation: String, Sendable, Hashable, Codable, CaseIterable {
    /// The first version of a fact.
    case create
    /// A changed record from its own source.
    case update
    /// The incoming side of a conflict, chosen by platform staff.
    case conflictResolution = "conflict_resolution"
}

/// Identifies an open conflict so the same disagreement is queued once.
public struct ConflictIdentity: Sendable, Hashable {
    public var keyHash: Digest128
    public var incomingSource: String
    public var incomingContentHash: Digest128

    public init(keyHash: Digest128, incomingSource: String, incomingContentHash: Digest128) {
        self.keyHash = keyHash
        self.incomingSource = incomingSource
        self.incomingContentHash = incomingContentHash
    }
}

public enum ConflictStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case open
    /// Resolved: the stored record stays.
    case keptStored = "kept_stored"
    /// Resolved: the incoming row became the record's next version.
    case acceptedIncoming = "accepted_incoming"
}

/// A disagreement between sources about one fact, held for verification (一数一源).
public struct ConflictRecord: Sendable, Hashable {
    public var id: String
    public var resourceID: String
    public var keyHash: Digest128
    public var businessKey: String
    /// The stored version at the time.
    public var storedSequence: Int64
    public var storedVersion: Int
    public var storedSourceUnit: String
    public var storedBatchID: String
    public var storedRowNumber: Int
    /// The newcomer: everything needed to write it as a version if chosen.
    public var incoming: RecordVersion
    public var status: ConflictStatus
    public var createdAt: Date
    public var resolvedBy: String?
    public var resolvedAt: Date?
    public var reason: String?

    public init(
        id: String, resourceID: String, keyHash: Digest128, businessKey: String, storedSequence: Int64, storedVersion: Int, storedSourceUnit: String,
        storedBatchID: String, storedRowNumber: Int, incoming: RecordVersion, status: ConflictStatus, createdAt: Date, resolvedBy: String?,
        resolvedAt: Date?, reason: String?
    ) {
        self.id = id
        self.resourceID = resourceID
        self.keyHash = keyHash
        self.businessKey = businessKey
        self.storedSequence = storedSequence
        self.storedVersion = storedVersion
        self.storedSourceUnit = storedSourceUnit
        self.storedBatchID = storedBatchID
        self.storedRowNumber = storedRowNumber
        self.incoming = incoming
        self.status = status
        self.createdAt = createdAt
        self.resolvedBy = resolvedBy
        self.resolvedAt = resolvedAt
        self.reason = reason
    }

    public var identity: ConflictIdentity {
        ConflictIdentity(keyHash: keyHash, incomingSource: incoming.sourceUnit, incomingContentHash: incoming.contentHash)
    }
}

/// One problem row of a batch as stored.
public struct StoredProblem: Sendable, Hashable {
    public var problem: ProblemRow
    /// The row's cells as submitted, for the rejected-rows download.
    public var originalCells: [String]

    public init(problem: ProblemRow, originalCells: [String]) {
        self.problem = problem
        self.originalCells = originalCells
    }
}

/// The per-subject theme store (主题库): counts and latest event per resource.
public struct SubjectResourceSummary: Sendable, Hashable, Codable {
    public var subjectCode: String
    public var resourceID: String
    public var subjectName: String
    public var subjectType: SubjectType?
    public var recordCount: Int
    public var latestEventDate: String?
    public var updatedAt: Date

    public init(subjectCode: String, resourceID: String, subjectName: String, subjectType: SubjectType?, recordCount: Int, latestEventDate: String?, updatedAt: Date) {
        self.subjectCode = subjectCode
        self.resourceID = resourceID
        self.subjectName = subjectName
        self.subjectType = subjectType
        self.recordCount = recordCount
        self.latestEventDate = latestEventDate
        self.updatedAt = updatedAt
    }
}

/// Quality of one completed batch.
public struct QualityPoint: Sendable, Hashable, Codable {
    public var batchID: String
    public var sourceUnit: String
    public var resourceID: String
    public var completedAt: Date
    public var rows: RowCounts
    public var scores: QualityScores

    public init(batchID: String, sourceUnit: String, resourceID: String, completedAt: Date, rows: RowCounts, scores: QualityScores) {
        self.batchID = batchID
        self.sourceUnit = sourceUnit
        self.resourceID = resourceID
        self.completedAt = completedAt
        self.rows = rows
        self.scores = scores
    }
}

/// One chunk's results, written in one transaction.
public struct ChunkCommit: Sendable {
    public var batchID: String
    /// The batch's processed-row position before this chunk (guards against two workers).
    public var processedRowsBefore: Int
    public var processedRowsAfter: Int
    public var counts: RowCounts
    public var tally: QualityTally
    public var observedHead: Int64
    /// The positions this batch's previous chunk took, returned by its commit: that chunk was
    /// written after this one was looked up, but the classification accounted for it.
    public var previousChunkPositions: ClosedRange<Int64>?
    public var keyHashes: [Digest128]
    /// New versions; `sequence` is ignored and assigned by the store.
    public var versions: [RecordVersion]
    public var conflicts: [ConflictRecord]
    public var problems: [StoredProblem]
    /// The chunk's problem rows beyond the batch's allowance, counted and not stored.
    public var problemsOmitted: Int

    public init(
        batchID: String, processedRowsBefore: Int, processedRowsAfter: Int, counts: RowCounts, tally: QualityTally, observedHead: Int64,
        previousChunkPositions: ClosedRange<Int64>? = nil, keyHashes: [Digest128], versions: [RecordVersion], conflicts: [ConflictRecord],
        problems: [StoredProblem], problemsOmitted: Int = 0
    ) {
        self.problemsOmitted = problemsOmitted
        self.batchID = batchID
        self.processedRowsBefore = processedRowsBefore
        self.processedRowsAfter = processedRowsAfter
        self.counts = counts
        self.tally = tally
        self.observedHead = observedHead
        self.previousChunkPositions = previousChunkPositions
        self.keyHashes = keyHashes
        self.versions = versions
        self.conflicts = conflicts
        self.problems = problems
    }
}

extension CollectionRepository {
    /// Batches in any status, newest first, optionally only one source unit's.
    public func batches(sourceUnit: String?, limit: Int) async throws -> [StoredBatch] {
        try await batches(sourceUnit: sourceUnit, status: nil, limit: limit)
    }
}

extension ChunkCommit {
    /// The change-feed positions where another writer's records may be: those after
    /// `observedHead` but the previous chunk's, as exclusive bounds (`before` nil: no upper bound).
    /// Skipping the previous chunk spares reading back a chunk's worth of this batch's own records.
    public var positionsToCheck: [(after: Int64, before: Int64?)] {
        guard let previous = previousChunkPositions, previous.upperBound > observedHead else { return [(observedHead, nil)] }
        if previous.lowerBound <= observedHead + 1 { return [(previous.upperBound, nil)] }
        return [(observedHead, previous.lowerBound), (previous.upperBound, nil)]
    }
}

/// Another writer changed records of the chunk since they were read: classify the chunk again.
public struct StaleChunkError: Error, Sendable {
    public init() {}
}

/// Two workers processed the same batch; the one that finds the progress moved stops.
public struct BatchProgressMismatch: Error, Sendable {
    public var batchID: String
    public var expected: Int
    public var found: Int

    public init(batchID: String, expected: Int, found: Int) {
        self.batchID = batchID
        self.expected = expected
        self.found = found
    }
}
