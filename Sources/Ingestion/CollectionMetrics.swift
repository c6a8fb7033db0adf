import CreditKernel
import Metrics

/// What collection reports to the metrics backend (Prometheus at `/metrics` under `serve`), for
/// alerting on a source whose rows start being rejected, on batches that fail, and for throughput.
/// Labels stay few: resource ids and fixed outcomes, never units or batches.
///
/// - `credithub_collection_rows_total{resource, outcome}`: rows committed, by outcome (`accepted`
///   as submitted, `fixed`, `rejected`, `duplicate`, `conflict`); a resumed batch counts only the
///   rows this process committed.
/// - `credithub_collection_batches_total{resource, status}`: batches processed to their end, by
///   status (`completed`, `failed`).
/// - `credithub_collection_batch_duration_seconds{resource}`: from the start of processing to the
///   receipt.
/// - `credithub_collection_processing_failures_total`: processing that failed and will be tried again.
public enum CollectionMetrics {
    /// The batch duration histogram's name, for giving it `batchDurationBuckets`.
    public static let batchDurationLabel = "credithub_collection_batch_duration_seconds"

    /// Buckets for batch durations, which run from a few milliseconds to many minutes.
    public static let batchDurationBuckets: [Duration] = [.milliseconds(50), .milliseconds(250), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(900), .seconds(3600)]

    static func committed(_ counts: RowCounts, resource: String) {
        for (outcome, rows) in [
            ("accepted", counts.accepted - counts.fixed), ("fixed", counts.fixed), ("rejected", counts.rejected), ("duplicate", counts.duplicate),
            ("conflict", counts.conflict),
        ] where rows > 0 {
            Counter(label: "credithub_collection_rows_total", dimensions: [("resource", resource), ("outcome", outcome)]).increment(by: rows)
        }
    }

    static func ended(_ status: BatchStatus, resource: String, after duration: Duration) {
        Counter(label: "credithub_collection_batches_total", dimensions: [("resource", resource), ("status", status.rawValue)]).increment()
        let (seconds, attoseconds) = duration.components
        Timer(label: batchDurationLabel, dimensions: [("resource", resource)]).recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    static func processingFailed() {
        Counter(label: "credithub_collection_processing_failures_total").increment()
    }
}
