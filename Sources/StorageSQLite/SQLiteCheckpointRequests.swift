import Synchronization

/// Tells the store's running checkpointer that the writer committed a chunk of records: each one
/// adds tens of megabytes to the WAL. Small writes (sessions, audit entries) do not ask, so an idle
/// or lightly used server leaves checkpoints to SQLite's own, as before.
final class SQLiteCheckpointRequests: Sendable {
    private let current = Mutex<AsyncStream<Void>.Continuation?>(nil)

    /// Asks for a checkpoint; requests made while one runs become one more.
    func request() {
        _ = current.withLock { $0?.yield() }
    }

    /// The requests from now on, for one checkpointer at a time; a new one ends the previous.
    func stream() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        current.withLock { previous in
            previous?.finish()
            previous = continuation
        }
        return stream
    }
}
