import CreditKernel
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Storage

/// The production store: PostgreSQL through a PostgresNIO `PostgresClient` connection pool.
///
/// The store is a `Service`: its `run()` drives the pool and must run (in the application's
/// `ServiceGroup`, or in ``withRunning(_:)`` for one-off commands) while the store is used.
public final class PostgresStore: CreditStore, Service {
    public let backendName = "postgresql"
    public var latestSchemaVersion: Int { PostgresSchema.migrations.count }

    let client: PostgresClient
    let logger: Logger

    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    public func run() async throws {
        await client.run()
    }

    public func migrate() async throws -> MigrationOutcome {
        do {
            return try await applyMigrations()
        } catch let error as PSQLError {
            throw Self.describe(error, doing: "migrating the schema")
        }
    }

    /// A database error an operator can act on: the server's message and SQL state, never the
    /// connection string.
    static func describe(_ error: PSQLError, doing what: String) -> CreditHubError {
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
        return CreditHubError(code: "database_error", message: "PostgreSQL refused \(what): \(message)\(state)")
    }

    private func applyMigrations() async throws -> MigrationOutcome {
        try await client.transaction(logger: logger) { connection in
            try await Self.checkEncoding(connection, logger: logger)
            // One migrator at a time across every replica sharing the database.
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            let before = try await Self.appliedVersion(connection, logger: logger)
            var applied: [String] = []
            for (index, migration) in PostgresSchema.migrations.enumerated() where index + 1 > before {
                for statement in PostgresSchema.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await migration.rewrite?(connection, logger)
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(index + 1), \(migration.name))",
                    logger: logger
                )
                applied.append(migration.name)
            }
            return MigrationOutcome(fromVersion: before, toVersion: before + applied.count, applied: applied)
        }
    }

    /// Records hold any Chinese character (a rare one in a name included) and PostgreSQL refuses, row
    /// by row, what its encoding cannot hold: a database in EUC_CN would take most chunks and refuse
    /// some forever. Checked before the schema is created or changed, so such a database is named
    /// at deployment rather than found by a stuck batch.
    static func checkEncoding(_ connection: PostgresConnection, logger: Logger) async throws {
        let encoding = try await connection.query("SHOW server_encoding", logger: logger).decode(String.self).first { _ in true } ?? "unknown"
        guard encoding == "UTF8" else {
            throw CreditHubError(
                code: "database_encoding",
                message: "the database's encoding is \(encoding), but CreditHub needs UTF8 to store every character a record may hold: create it with CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0"
            )
        }
    }

    public func schemaVersion() async throws -> Int {
        try await client.withConnection { connection in
            let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
                .decode(Bool.self).first { _ in true } ?? false
            guard exists else { return 0 }
            return try await Self.appliedVersion(connection, logger: logger)
        }
    }

    private static func appliedVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger)
            .decode(Int.self).first { _ in true } ?? 0
    }

    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    public var catalogue: any CatalogueRepository { PostgresCatalogueRepository(client: client, logger: logger) }
    public var collection: any CollectionRepository { PostgresCollectionRepository(client: client, logger: logger) }
    public var identity: any IdentityRepository { PostgresIdentityRepository(client: client, logger: logger) }
    public var audit: any AuditRepository { PostgresAuditRepository(client: client, logger: logger) }
}
