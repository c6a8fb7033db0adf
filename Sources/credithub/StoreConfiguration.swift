import Configuration
import CreditKernel
import Foundation
import Logging
import ServiceLifecycle
import Storage
import StoragePostgres
import StorageSQLite

/// Which store to open.
///
/// Keys (environment variables take the `CREDITHUB_` prefix):
/// - `data.directory` (`CREDITHUB_DATA_DIRECTORY`): where the embedded store and the raw files live,
///   default `./data`.
/// - `database.url` (`CREDITHUB_DATABASE_URL`, secret): `postgres://user:password@host:port/db`
///   switches to PostgreSQL; unset means SQLite at `<data.directory>/credithub.sqlite`.
/// - `database.auto-migrate` (`CREDITHUB_DATABASE_AUTO_MIGRATE`): bring the schema up to date when a
///   command opens the store, default `true`; set `false` when operators run `credithub migrate` themselves.
struct StoreConfiguration: Sendable {
    enum Backend: Sendable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    var backend: Backend
    var dataDirectory: String
    var automaticMigration: Bool

    init(reader: ConfigReader) {
        dataDirectory = reader.string(forKey: "data.directory", default: "./data")
        automaticMigration = reader.bool(forKey: "database.auto-migrate", default: true)
        if let url = reader.string(forKey: "database.url", isSecret: true), !url.isEmpty {
            backend = .postgres(url: url)
        } else {
            backend = .sqlite(path: (dataDirectory as NSString).appendingPathComponent("credithub.sqlite"))
        }
    }

    /// The raw store's directory (原始库), inside the data directory.
    var rawDirectory: String {
        (dataDirectory as NSString).appendingPathComponent("raw")
    }

    /// A description safe to log: never the password.
    var redactedDescription: String {
        switch backend {
        case .sqlite(let path): return "sqlite \(path)"
        case .postgres(let url):
            guard let components = URLComponents(string: url) else { return "postgresql" }
            return "postgresql \(components.host ?? "?"):\(components.port ?? 5432)\(components.path)"
        }
    }
}

extension StoreConfiguration {
    /// Opens the store. It is also the service that runs while it is used: PostgreSQL's connection
    /// pool, which the store needs, or SQLite's checkpoints, which keep the writer from waiting on the disk.
    func open(logger: Logger) throws -> any CreditStore & Service {
        switch backend {
        case .sqlite(let path):
            return try SQLiteStore(path: path, logger: logger)
        case .postgres(let url):
            return PostgresStore(configuration: try PostgresStore.configuration(url: url), logger: logger)
        }
    }

    /// Opens the store, prepares it (migration, default catalogue) and runs `body` with it: for
    /// commands that use the store once and exit.
    func withPreparedStore<Result: Sendable>(
        logger: Logger,
        prepare: Bool = true,
        _ body: @escaping @Sendable (any CreditStore) async throws -> Result
    ) async throws -> Result {
        let automaticMigration = self.automaticMigration
        return try await open(logger: logger).withRunning { store in
            if prepare {
                try await store.prepare(automaticMigration: automaticMigration, logger: logger)
            }
            return try await body(store)
        }
    }
}
