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
            // Record keys are hashes, so each chunk touches index pages all over the file: the
            // writer keeps them in memory (64 MiB) rather than re-reading them from the OS, and lets
            // the WAL grow to 16,384 pages before a checkpoint so a page changed by many chunks is
            // copied back once. A new database gets 16 KiB pages (256 MiB of WAL): a shallower key
            // index and fewer pages written per commit (an existing one keeps its page size).
            // Readers keep SQLite's small default cache: there can be several of them.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA page_size = 16384")
                try db.execute(sql: "PRAGMA cache_size = -65536")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            }
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
    }

    public func migrate() async throws -> MigrationOutcome {
        // One write transaction: SQLite's single writer lock serialises migrators across processes.
        try await pool.write { db in
            try db.execute(sql: SQLiteSchema.createMigrationsTable)
            let before = try SQLiteSchema.appliedVersion(db)
            var applied: [String] = []
            for (index, migration) in SQLiteSchema.migrations.enumerated() where index + 1 > before {
                try db.execute(sql: migration.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    arguments: [index + 1, migration.name]
                )
                applied.append(migration.name)
            }
            return MigrationOutcome(fromVersion: before, toVersion: before + applied.count, applied: applied)
        }
    }

    public func schemaVersion() async throws -> Int {
        try await pool.read { db in try SQLiteSchema.appliedVersion(db) }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public var catalogue: any CatalogueRepository { SQLiteCatalogueRepository(pool: pool) }
    public var collection: any CollectionRepository { SQLiteCollectionRepository(pool: pool) }
    public var identity: any IdentityRepository { SQLiteIdentityRepository(pool: pool) }
    public var audit: any AuditRepository { SQLiteAuditRepository(pool: pool) }
}
