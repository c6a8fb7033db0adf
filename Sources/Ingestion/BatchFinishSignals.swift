import CreditKernel
import Synchronization

/// Wakes the requests waiting for a batch (`?wait=`, the console's upload) as soon as this process
/// is done with it, instead of each of them polling the store.
final class BatchFinishSignals: Sendable {
    private struct Waiting {
        let latch = Latch()
        var waiters = 0
    }

    private let batches = Mutex<[String: Waiting]>([:])

    /// A latch raised when this process is next done with `batch`. Take it before looking at the
    /// batch's state, so a finish in between is not missed; give it back with `release`.
    func register(_ batch: String) -> Latch {
        batches.withLock { batches in
            batches[batch, default: Waiting()].waiters += 1
            return batches[batch]!.latch
        }
    }

    func release(_ batch: String, _ latch: Latch) {
        batches.withLock { batches in
            guard var waiting = batches[batch], waiting.latch === latch else { return }
            waiting.waiters -= 1
            batches[batch] = waiting.waiters > 0 ? waiting : nil
        }
    }

    /// Batches someone is waiting for.
    var waitingBatches: Int { batches.withLock { $0.count } }

    /// This process is done with `batch`: it finished it, or stopped on an error. Whoever waits
    /// looks at the batch again and, if it is still unfinished, registers anew.
    func finished(_ batch: String) {
        batches.withLock { $0.removeValue(forKey: batch) }?.latch.raise()
    }
}
