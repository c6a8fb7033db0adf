import Synchronization

/// A one-way signal between tasks that they can wait for.
public final class Latch: Sendable {
    private struct State {
        var raised = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they suspended.
        var cancelled: Set<Int> = []
    }

    private let state: Mutex<State>

    /// A latch that is `raised` from the start has nothing to wait for.
    public init(raised: Bool = false) {
        state = Mutex(State(raised: raised))
    }

    public func raise() {
        let waiters = state.withLock { state in
            state.raised = true
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the latch is raised, or when the task is cancelled.
    public func wait() async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.raised || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil as CheckedContinuation<Void, Never>?
                }
                return waiter
            }
            waiter?.resume()
        }
        // A cancellation that came after the latch resumed this waiter left its mark behind.
        state.withLock { _ = $0.cancelled.remove(id) }
    }
}

extension Latch {
    /// Returns once the latch is raised or `duration` has passed, whichever comes first.
    public func wait(atMost duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: duration) }
            await group.next()
            group.cancelAll()
        }
    }
}
