import CreditKernel
import Foundation
import GRDB
import Storage

/// The embedded store: SQLite in WAL mode through a GRDB `DatabasePool`, so reads run concurrently
/// with the single writer. `credithub serve` needs no database server with it.
public final class SQLiteStore: CreditStore {
    public let backendName = "sqlite"
    public var latestSchemaVersion: Int { SQLiteSchema.migrations.count }

    let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
    }

    public func migrate() async throws -> MigrationOutcome {
        let migrator = SQLiteSchema.migrator
        let before = try await pool.read { db in try migrator.appliedMigrations(db) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            migrator.asyncMigrate(pool) { result in continuation.resume(with: result.map { _ in () }) }
        }
        let after = try await pool.read { db in try migrator.appliedMigrations(db) }
        return MigrationOutcome(
            fromVersion: before.count,
            toVersion: after.count,
            applied: after.filter { !before.contains($0) }
        )
    }

    public func schemaVersion() async throws -> Int {
        try await pool.read { db in
            try SQLiteSchema.migrator.appliedMigrations(db).count
        }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public var catalogue: any CatalogueRepository { SQLiteCatalogueRepository(pool: pool) }
}
