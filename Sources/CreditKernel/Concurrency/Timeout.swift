/// Runs `operation`, giving up with a `CreditHubError` (`timeout`) after `duration`.
public func withTimeout<Result: Sendable>(
    _ duration: Duration,
    _ what: String,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw CreditHubError(code: "timeout", message: "\(what) did not finish within \(duration)")
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else {
            throw CreditHubError(code: "timeout", message: "\(what) was cancelled")
        }
        return result
    }
}
