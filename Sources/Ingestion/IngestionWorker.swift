import CreditKernel
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Processes received batches in the background, in the order received and up to
/// `ingest.batches-at-once` at a time; on start (and every `rescan-seconds`) it picks up unfinished
/// batches, so an acknowledged batch is never lost to a crash or a database outage. A batch whose
/// processing failed is tried again after a wait that doubles while it makes no progress (up to
/// `ingest.maximum-retry-seconds`). It starts once `storeReady` is raised: the server prepares the
/// store while its services start.
public struct IngestionWorker: Service {
    let collector: Collector
    let storeReady: Latch
    let logger: Logger
    private let retries: RetryScheduleBox

    public init(collector: Collector, storeReady: Latch = Latch(raised: true), logger: Logger) {
        self.collector = collector
        self.storeReady = storeReady
        self.logger = logger
        retries = RetryScheduleBox(RetrySchedule(first: collector.configuration.rescanInterval, maximum: collector.configuration.maximumRetryInterval))
    }

    public func run() async throws {
        await storeReady.wait()
        if Task.isCancelled { return }
        let limit = collector.configuration.batchesAtOnce
        let inFlight = InFlightBatches()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await rescanPeriodically() }
            for await batchID in collector.queue.stream.cancelOnGracefulShutdown() {
                guard inFlight.start(batchID) else { continue }
                group.addTask {
                    await process(batchID)
                    inFlight.finish(batchID)
                }
                // The rescan never ends on its own, so each completion here is a batch's.
                while inFlight.count >= limit { await group.next() }
            }
            group.cancelAll()
        }
    }

    private func rescanPeriodically() async {
        while !Task.isCancelled {
            do {
                let now = ContinuousClock.now
                for batch in try await collector.store.collection.unfinishedBatches() where retries.withLock({ $0.isDue(batch.batch.id, at: now) }) {
                    collector.queue.continuation.yield(batch.batch.id)
                }
            } catch {
                // Stopping cuts a listing short; that is no failure to report.
                if Task.isCancelled { return }
                logger.warning("cannot list unfinished batches", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: collector.configuration.rescanInterval)
        }
    }

    private func process(_ batchID: String) async {
        do {
            try await collector.process(batchID: batchID)
            retries.withLock { $0.forget(batchID) }
        } catch is BatchProgressMismatch {
            retries.withLock { $0.forget(batchID) }
            logger.info("batch taken over by another worker", metadata: ["batch": "\(batchID)"])
        } catch is CancellationError {
            logger.info("batch interrupted by shutdown; it resumes on the next start", metadata: ["batch": "\(batchID)"])
        } catch {
            // Whether it got further than last time decides the wait; the store may be what failed.
            let processedRows = try? await collector.store.collection.batch(id: batchID)?.processedRows
            let wait = retries.withLock { $0.failed(batchID, processedRows: processedRows, at: .now) }
            CollectionMetrics.processingFailed()
            logger.error(
                "batch processing failed; will retry",
                metadata: ["batch": "\(batchID)", "error": "\(error)", "after_row": "\(processedRows.map(String.init) ?? "unknown")", "retry_in": "\(wait)"]
            )
        }
    }
}

/// The worker's retry schedule, shared by its rescans and its batches' tasks.
private final class RetryScheduleBox: Sendable {
    private let schedule: Mutex<RetrySchedule>

    init(_ schedule: RetrySchedule) {
        self.schedule = Mutex(schedule)
    }

    func withLock<Result: Sendable>(_ body: (inout RetrySchedule) -> Result) -> Result {
        schedule.withLock { body(&$0) }
    }
}

/// The batches being processed: a batch can be queued again meanwhile (the rescan finds it
/// unfinished), and must not be processed twice at once.
private final class InFlightBatches: Sendable {
    private let ids = Mutex<Set<String>>([])

    var count: Int { ids.withLock(\.count) }

    /// Whether `id` was not in flight and now is.
    func start(_ id: String) -> Bool {
        ids.withLock { $0.insert(id).inserted }
    }

    func finish(_ id: String) {
        ids.withLock { _ = $0.remove(id) }
    }
}
