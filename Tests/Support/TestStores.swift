import CreditKernel
import Foundation
import Logging
import PostgresNIO
import Storage
import StoragePostgres
import StorageSQLite
import Testing

/// The two store implementations every storage test runs against.
public enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    public var testDescription: String { rawValue }
}

public enum TestStores {
    public static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return logger
    }()

    /// The superuser URL of the throw-away cluster `scripts/with-postgres.sh` started.
    public static var postgresURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["CREDITHUB_TEST_DATABASE_URL"] else {
                throw CreditHubError(
                    code: "no_test_database",
                    message: "CREDITHUB_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a PostgreSQL for them"
                )
            }
            return url
        }
    }

    /// Runs `body` with a fresh, empty, migrated store of `backend`, removed afterwards.
    public static func withStore<Result: Sendable>(
        _ backend: StoreBackend,
        migrate: Bool = true,
        _ body: @Sendable (any CreditStore) async throws -> Result
    ) async throws -> Result {
        try await withStore(backend, migrate: migrate) { store, _ in try await body(store) }
    }

    /// Runs `body` with a fresh store and direct access to its database (SQLite file, or the
    /// PostgreSQL database as the superuser, created with `postgresOptions`).
    public static func withStore<Result: Sendable>(
        _ backend: StoreBackend,
        migrate: Bool = true,
        postgresOptions: String = "",
        _ body: @Sendable (any CreditStore, DirectDatabase) async throws -> Result
    ) async throws -> Result {
        switch backend {
        case .sqlite:
            return try await withSQLitePath { path in
                let store = try SQLiteStore(path: path)
                if migrate { _ = try await store.migrate() }
                return try await body(store, .sqlite(path: path))
            }
        case .postgres:
            return try await withPostgresDatabase(options: postgresOptions) { url in
                let store = PostgresStore(configuration: try PostgresStore.configuration(url: url), logger: logger)
                return try await store.withRunning { store in
                    if migrate { _ = try await store.migrate() }
                    return try await body(store, .postgres(url: url))
                }
            }
        }
    }

    /// Runs `body` with the path of a SQLite database file in a new directory, removed afterwards.
    public static func withSQLitePath<Result: Sendable>(_ body: @Sendable (String) async throws -> Result) async throws -> Result {
        let directory = URL(fileURLWithPath: Scratch.path("store"))
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try await body(directory.appendingPathComponent("credithub.sqlite").path)
    }

    /// Creates a database with a unique name on the test cluster, runs `body` with its URL, drops it.
    public static func withPostgresDatabase<Result: Sendable>(options: String = "", _ body: @Sendable (String) async throws -> Result) async throws -> Result {
        let adminURL = try postgresURL
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = PostgresClient(configuration: try PostgresStore.configuration(url: adminURL), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            defer { group.cancelAll() }
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) \(options)"), logger: logger)
            var components = URLComponents(string: adminURL)!
            components.path = "/\(name)"
            do {
                let result = try await body(components.string!)
                try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
                return result
            } catch {
                _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
                throw error
            }
        }
    }
}
