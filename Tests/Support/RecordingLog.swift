import Logging
import Synchronization

/// A logger whose messages a test reads back.
public final class RecordingLog: Sendable {
    private let entries = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])

    public init() {}

    /// Records every level from `debug` up.
    public var logger: Logger {
        var logger = Logger(label: "recording") { _ in Handler(log: self) }
        logger.logLevel = .debug
        return logger
    }

    /// The messages logged at `level` or above.
    public func messages(atLeast level: Logger.Level) -> [String] {
        entries.withLock { $0.filter { $0.level >= level }.map(\.message) }
    }

    /// The metadata of each message logged as `message`, in order.
    public func metadata(of message: String) -> [Logger.Metadata] {
        entries.withLock { $0.filter { $0.message == message }.map(\.metadata) }
    }

    struct Handler: LogHandler {
        let log: RecordingLog
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.entries.withLock { $0.append((event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { $1 })) }
        }
    }
}
