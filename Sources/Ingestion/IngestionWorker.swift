import CreditKernel
import Logging
import ServiceLifecycle
import Storage

/// Processes received batches in the background, one at a time, in the order received; on start
/// (and every `rescan-seconds`) it picks up unfinished batches, so an acknowledged batch is never
/// lost to a crash or a database outage.
public struct IngestionWorker: Service {
    let collector: Collector
    let logger: Logger

    public init(collector: Collector, logger: Logger) {
        self.collector = collector
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await rescanPeriodically() }
            for await batchID in collector.queue.stream.cancelOnGracefulShutdown() {
                await process(batchID)
            }
            group.cancelAll()
        }
    }

    private func rescanPeriodically() async {
        while !Task.isCancelled {
            do {
                for batch in try await collector.store.collection.unfinishedBatches() {
                    collector.queue.continuation.yield(batch.batch.id)
                }
            } catch {
                logger.warning("cannot list unfinished batches", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: collector.configuration.rescanInterval)
        }
    }

    private func process(_ batchID: String) async {
        do {
            try await collector.process(batchID: batchID)
        } catch is BatchProgressMismatch {
            logger.info("batch taken over by another worker", metadata: ["batch": "\(batchID)"])
        } catch is CancellationError {
            logger.info("batch interrupted by shutdown; it resumes on the next start", metadata: ["batch": "\(batchID)"])
        } catch {
            logger.error("batch processing failed; will retry", metadata: ["batch": "\(batchID)", "error": "\(error)"])
        }
    }
}
