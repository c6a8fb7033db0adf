/// When the worker tries a batch again after processing it failed (the database unreachable, a
/// full disk, a chunk the database refuses): each failure without progress doubles the wait, from
/// the rescan interval up to a maximum, so a batch that fails the same way for hours is tried a few
/// times an hour rather than every minute; a failure after progress starts the waits over. Nothing
/// fails the batch: a full disk or an outage ends, and the batch then goes on.
///
/// A pure value: the worker keeps one and asks it before each rescan's batch.
struct RetrySchedule: Sendable {
    private struct Failures: Sendable {
        var count: Int
        /// The batch's committed rows when it last failed; nil when the store could not say.
        var processedRows: Int?
        var due: ContinuousClock.Instant
    }

    let first: Duration
    let maximum: Duration
    private var failures: [String: Failures] = [:]

    init(first: Duration, maximum: Duration) {
        self.first = first
        self.maximum = max(first, maximum)
    }

    /// Records a failure and returns how long until the batch is due again.
    mutating func failed(_ batchID: String, processedRows: Int?, at now: ContinuousClock.Instant) -> Duration {
        var entry = failures[batchID] ?? Failures(count: 0, processedRows: processedRows, due: now)
        let progressed = processedRows.map { rows in entry.processedRows.map { rows > $0 } ?? false } ?? false
        entry.count = progressed ? 1 : entry.count + 1
        if let processedRows { entry.processedRows = processedRows }
        var wait = first
        for _ in 1..<entry.count where wait < maximum { wait *= 2 }
        wait = min(wait, maximum)
        entry.due = now + wait
        failures[batchID] = entry
        return wait
    }

    /// Whether a rescan should hand the batch to processing now.
    func isDue(_ batchID: String, at now: ContinuousClock.Instant) -> Bool {
        failures[batchID].map { $0.due <= now } ?? true
    }

    /// The batch was processed to its end (or taken over elsewhere): its failures are forgotten.
    mutating func forget(_ batchID: String) {
        failures[batchID] = nil
    }
}
