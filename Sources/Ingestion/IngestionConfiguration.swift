import Foundation
import Configuration

/// How the collection pipeline works.
///
/// Keys (environment variables take the `CREDITHUB_` prefix):
/// - `ingest.chunk-rows` (`CREDITHUB_INGEST_CHUNK_ROWS`): rows governed and committed together,
///   default `10000`. A crash loses at most one chunk's work, which is redone on restart. Larger
///   chunks mean fewer, larger transactions (10000 rows was about a quarter faster than 5000 on both
///   stores, see bench/ingest.sh) at about 1 KB of memory per row in flight.
/// - `ingest.rescan-seconds` (`CREDITHUB_INGEST_RESCAN_SECONDS`): how often the worker looks for
///   unfinished batches (after a failure, or left by another replica), default `60`.
/// - `ingest.parallelism` (`CREDITHUB_INGEST_PARALLELISM`): chunks governed at once while the
///   store writes, default the number of CPU cores.
/// - `ingest.batches-at-once` (`CREDITHUB_INGEST_BATCHES_AT_ONCE`): batches the server's worker
///   processes at the same time, default `2`, so a clerk's small file is not queued behind a data
///   bureau's million rows.
public struct IngestionConfiguration: Sendable {
    public var chunkRows: Int
    public var rescanInterval: Duration
    public var parallelism: Int
    public var batchesAtOnce: Int

    public static let defaultChunkRows = 10_000

    public init(
        chunkRows: Int = defaultChunkRows, rescanInterval: Duration = .seconds(60), parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
        batchesAtOnce: Int = 2
    ) {
        self.chunkRows = max(1, chunkRows)
        self.rescanInterval = rescanInterval
        self.parallelism = max(1, parallelism)
        self.batchesAtOnce = max(1, batchesAtOnce)
    }

    public init(reader: ConfigReader) {
        self.init(
            chunkRows: reader.int(forKey: "ingest.chunk-rows", default: Self.defaultChunkRows),
            rescanInterval: .seconds(reader.int(forKey: "ingest.rescan-seconds", default: 60)),
            parallelism: reader.int(forKey: "ingest.parallelism", default: ProcessInfo.processInfo.activeProcessorCount),
            batchesAtOnce: reader.int(forKey: "ingest.batches-at-once", default: 2)
        )
    }
}
