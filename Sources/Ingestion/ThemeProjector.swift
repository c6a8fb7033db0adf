import CreditKernel
import Logging
import ServiceLifecycle
import Storage

/// Keeps the theme stores (主题库) current with the change feed.
///
/// Themes are projections of the base store: they follow the change feed by position, in
/// set-based steps, so collection never waits on a theme's indexes and a theme can be rebuilt from
/// the feed. The projector wakes when the pipeline commits and otherwise checks every `interval`;
/// after a catch-up that found much to do it pauses for `settle`, so while a large file is
/// collected the theme follows in large steps (each step rewrites index pages all over the theme,
/// so a few large steps cost far less than many small ones). It ends when `wakeUps` ends. It
/// starts once `storeReady` is raised: the server prepares the store while its services start.
public struct ThemeProjector: Service {
    let store: any CreditStore
    let storeReady: Latch
    let wakeUps: AsyncStream<Void>
    let interval: Duration
    let settle: Duration
    let logger: Logger
    /// Record versions applied per step.
    public static let step = 100_000
    /// A catch-up of at least this many record versions is followed by a pause of `settle`.
    static let busy = 1_000

    public init(
        store: any CreditStore, storeReady: Latch = Latch(raised: true), wakeUps: AsyncStream<Void>, interval: Duration = .seconds(5), settle: Duration = .seconds(1),
        logger: Logger
    ) {
        self.store = store
        self.storeReady = storeReady
        self.wakeUps = wakeUps
        self.interval = interval
        self.settle = settle
        self.logger = logger
    }

    public func run() async throws {
        await storeReady.wait()
        if Task.isCancelled { return }
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
                let started = ContinuousClock.now
                do {
                    applied = try await Self.catchUp(store)
                    if applied > 0 { logger.debug("theme caught up", metadata: ["applied": "\(applied)", "elapsed": "\(ContinuousClock.now - started)"]) }
                } catch {
                    // Stopping cuts a step short; that is no failure to report.
                    if Task.isCancelled { break }
                    logger.warning("theme projection failed; will retry", metadata: ["error": "\(error)"])
                }
                // Settles, but no longer than until the wake-ups end: after the last commit nothing
                // more is coming to batch up, and whoever ended them (the CLI, a shutdown) is waiting.
                if applied >= Self.busy { await wakeUpsEnded.wait(atMost: settle) }
            }
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
