import ServiceLifecycle

extension Service {
    /// Runs the service for the duration of `body`: for commands and tests that use a store once,
    /// outside the application's `ServiceGroup`. The service is cancelled when `body` returns.
    public func withRunning<Result: Sendable>(_ body: @Sendable (Self) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (started, signal) = AsyncStream<Void>.makeStream()
            group.addTask {
                signal.finish()
                try await self.run()
            }
            defer { group.cancelAll() }
            // Let the service start before the body uses it (PostgreSQL's pool warns otherwise).
            for await _ in started {}
            await Task.yield()
            return try await body(self)
        }
    }
}
