import CreditKernel
import Logging
import ServiceLifecycle
import Synchronization
import Storage

/// Keeps the theme stores (主题库) current with the change feed.
///
/// Themes are projections of the base store: they follow the change feed by position, in
/// set-based steps, so collection never waits on a theme's indexes and a theme can be rebuilt from
/// the feed. The projector wakes when the pipeline commits and otherwise checks every `interval`;
/// after a catch-up that found much to do it pauses for `settle`, so while a large file is
/// collected the theme follows in large steps (each step rewrites index pages all over the theme,
/// so a few large steps cost far less than many small ones). It ends when `wakeUps` ends.
public struct ThemeProjector: Service {
    let store: any CreditStore
    let wakeUps: AsyncStream<Void>
    let interval: Duration
    let settle: Duration
    let logger: Logger
    /// Record versions applied per step.
    public static let step = 100_000
    /// A catch-up of at least this many record versions is followed by a pause of `settle`.
    static let busy = 1_000

    public init(store: any CreditStore, wakeUps: AsyncStream<Void>, interval: Duration = .seconds(5), settle: Duration = .seconds(1), logger: Logger) {
        self.store = store
        self.wakeUps = wakeUps
        self.interval = interval
        self.settle = settle
        self.logger = logger
    }

    public func run() async throws {
        let wakeUpsEnded = Latch()
        await withThrowingTaskGroup(of: Void.self) { group in
            let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            group.addTask {
                for await _ in wakeUps { tick.yield() }
                wakeUpsEnded.raise()
                tick.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    tick.yield()
                    try await Task.sleep(for: interval)
                }
            }
            for await _ in ticks.cancelOnGracefulShutdown() {
                var applied = 0
                do {
                    applied = try await Self.catchUp(store)
                } catch {
                    logger.warning("theme projection failed; will retry", metadata: ["error": "\(error)"])
                }
                if applied >= Self.busy { await pause(unlessRaised: wakeUpsEnded) }
            }
            group.cancelAll()
        }
    }

    /// Waits `settle`, but no longer than until the wake-ups end: after the last commit nothing
    /// more is coming to batch up, and whoever ended them (the CLI, a shutdown) is waiting.
    private func pause(unlessRaised latch: Latch) async {
        let settle = self.settle
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: settle) }
            group.addTask { await latch.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Applies everything the themes have not seen yet; returns how many change-feed positions that covered.
    @discardableResult
    public static func catchUp(_ store: any CreditStore) async throws -> Int {
        var total = 0
        while true {
            let applied = try await store.collection.projectSubjectTheme(limit: step)
            total += applied
            if applied < step { return total }
        }
    }
}

/// A one-way signal between tasks that they can wait for.
private final class Latch: Sendable {
    private struct State {
        var raised = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they suspended.
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    func raise() {
        let waiters = state.withLock { state in
            state.raised = true
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the latch is raised, or when the task is cancelled.
    func wait() async {
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
