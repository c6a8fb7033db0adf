import Foundation
import Configuration

/// How the collection pipeline works.
///
/// Keys (environment variables take the `CREDITHUB_` prefix):
/// - `ingest.chunk-rows` (`CREDITHUB_INGEST_CHUNK_ROWS`): rows governed and committed together,
///   default `20000`. A crash loses at most one chunk's work, which is redone on restart. Larger
///   chunks mean fewer, larger transactions, and each rewrites fewer pages of the record index:
///   on the bench's million rows 20000 was 7 % faster than 10000 on SQLite and 3 % on PostgreSQL
///   (and 10000 a quarter faster than 5000), at about 3 KB of memory per row in flight.
/// - `ingest.chunk-bytes` (`CREDITHUB_INGEST_CHUNK_BYTES`): a chunk also ends once its rows' text
///   reaches this many bytes, default `10485760` (10 MiB), so long rows take no more memory than
///   short ones; the bench's rows (about 470 bytes) stay under it.
/// - `ingest.rescan-seconds` (`CREDITHUB_INGEST_RESCAN_SECONDS`): how often the worker looks for
///   unfinished batches (after a failure, or left by another replica), default `60`.
/// - `ingest.maximum-retry-seconds` (`CREDITHUB_INGEST_MAXIMUM_RETRY_SECONDS`): the longest wait
///   before a batch whose processing keeps failing without progress is tried again, default `900`.
///   The first wait is `rescan-seconds` and each further failure at the same row doubles it.
/// - `ingest.parallelism` (`CREDITHUB_INGEST_PARALLELISM`): chunks governed at once while the
///   store writes, default the number of CPU cores.
/// - `ingest.batches-at-once` (`CREDITHUB_INGEST_BATCHES_AT_ONCE`): batches the server's worker
///   processes at the same time, default `2`, so a clerk's small file is not queued behind a data
///   bureau's million rows.
/// - `ingest.maximum-problem-rows` (`CREDITHUB_INGEST_MAXIMUM_PROBLEM_ROWS`): problem rows of each
///   status (rejected, fixed, duplicate, conflict) a batch stores row by row for its receipt and
///   `rejected.csv`, default `1000000`. Past it rows are still governed, counted and (when accepted)
///   stored, and the receipt gives how many problem rows it does not list, so a file of millions of
///   broken lines cannot fill the database with their issues.
/// - `ingest.maximum-interrupted-starts` (`CREDITHUB_INGEST_MAXIMUM_INTERRUPTED_STARTS`): how many
///   times processing a batch may take the server down (a crash, a kill, running out of memory)
///   before it gets past the row it had reached, default `3`. The next start fails the batch at
///   that row (`processing_interrupted`) instead of taking the server down again on every restart.
public struct IngestionConfiguration: Sendable {
    public var chunkRows: Int
    public var chunkBytes: Int
    public var rescanInterval: Duration
    public var maximumRetryInterval: Duration
    public var parallelism: Int
    public var batchesAtOnce: Int
    public var maximumInterruptedStarts: Int
    public var maximumProblemRows: Int

    public static let defaultChunkRows = 20_000
    public static let defaultMaximumProblemRows = 1_000_000
    public static let defaultChunkBytes = 10 << 20

    public init(
        chunkRows: Int = defaultChunkRows, chunkBytes: Int = defaultChunkBytes, rescanInterval: Duration = .seconds(60),
        maximumRetryInterval: Duration = .seconds(900),
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, batchesAtOnce: Int = 2, maximumInterruptedStarts: Int = 3,
        maximumProblemRows: Int = defaultMaximumProblemRows
    ) {
        self.maximumProblemRows = max(0, maximumProblemRows)
        self.chunkRows = max(1, chunkRows)
        self.chunkBytes = max(1, chunkBytes)
        self.rescanInterval = rescanInterval
        self.maximumRetryInterval = max(rescanInterval, maximumRetryInterval)
        self.parallelism = max(1, parallelism)
        self.batchesAtOnce = max(1, batchesAtOnce)
        self.maximumInterruptedStarts = max(1, maximumInterruptedStarts)
    }

    public init(reader: ConfigReader) {
        self.init(
            chunkRows: reader.int(forKey: "ingest.chunk-rows", default: Self.defaultChunkRows),
            chunkBytes: reader.int(forKey: "ingest.chunk-bytes", default: Self.defaultChunkBytes),
            rescanInterval: .seconds(reader.int(forKey: "ingest.rescan-seconds", default: 60)),
            maximumRetryInterval: .seconds(reader.int(forKey: "ingest.maximum-retry-seconds", default: 900)),
            parallelism: reader.int(forKey: "ingest.parallelism", default: ProcessInfo.processInfo.activeProcessorCount),
            batchesAtOnce: reader.int(forKey: "ingest.batches-at-once", default: 2),
            maximumInterruptedStarts: reader.int(forKey: "ingest.maximum-interrupted-starts", default: 3),
            maximumProblemRows: reader.int(forKey: "ingest.maximum-problem-rows", default: Self.defaultMaximumProblemRows)
        )
    }

    /// The chunks the pipeline reads, governs and commits.
    public var chunkSize: GovernedRowReader.ChunkSize {
        GovernedRowReader.ChunkSize(rows: chunkRows, bytes: chunkBytes)
    }
}
