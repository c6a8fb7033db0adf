import CreditKernel
@testable import Ingestion
import Testing

@Suite("Batch finish signals")
struct BatchFinishSignalsTests {
    @Test("Waiters of a batch are woken when this process is done with it; a later wait gets a fresh signal")
    func wakesWaiters() async throws {
        let signals = BatchFinishSignals()
        let first = signals.register("B1")
        let second = signals.register("B1")
        let other = signals.register("B2")
        #expect(first === second)
        signals.finished("B1")
        await first.wait()
        await second.wait()
        // The batch may still be unfinished (the process stopped on an error): a new wait must
        // not return at once, or the waiter would query the store in a loop.
        let next = signals.register("B1")
        #expect(next !== first)
        signals.release("B1", first)
        signals.release("B1", second)
        signals.finished("B1")
        await next.wait()
        signals.release("B1", next)
        signals.release("B2", other)
        #expect(signals.waitingBatches == 0)
    }

    @Test("A latch given back after its batch finished leaves a newer wait registered")
    func releaseAfterFinish() async throws {
        let signals = BatchFinishSignals()
        let old = signals.register("B1")
        signals.finished("B1")
        let current = signals.register("B1")
        signals.release("B1", old)
        #expect(signals.waitingBatches == 1)
        signals.finished("B1")
        await current.wait()
        signals.release("B1", current)
        #expect(signals.waitingBatches == 0)
    }
}
