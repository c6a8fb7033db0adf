import AsyncAlgorithms
import CreditKernel
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Storage

/// The embedded store: SQLite in WAL mode through a GRDB `DatabasePool`, so reads run concurrently
/// with the single writer. `credithub serve` needs no database server with it.
///
/// The store is a `Service`: its `run()` copies committed pages from the write-ahead log back into
/// the database (checkpoints) on a connection of its own as chunks of records are committed, so the
/// writer does not stop for them. Without it the writer checkpoints itself, as SQLite does by default.
public final class SQLiteStore: CreditStore, Service {
    public let backendName = "sqlite"
    public var latestSchemaVersion: Int { SQLiteSchema.migrations.count }

    let pool: DatabasePool
    public let path: String
    let logger: Logger
    let checkpointRequests = SQLiteCheckpointRequests()

    /// How long the writes that ask for checkpoints must have stopped before the WAL file is cut back.
    let walQuietPeriod: Duration

    /// Opens (creating if needed) the database file at `path`. While the store runs, the WAL file
    /// is emptied once the large writes have stopped for `walQuietPeriod` (up to twice that).
    public init(path: String, walQuietPeriod: Duration = .seconds(5), logger: Logger = Logger(label: "credithub.sqlite")) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Subject codes, and record keys outside a numbered series, are spread evenly, so each
            // chunk touches index pages all over the file: the writer keeps them in memory (64 MiB)
            // rather than re-reading them from the OS. A new
            // database gets 16 KiB pages: a shallower key index and fewer pages written per commit
            // (an existing one keeps its page size). The writer checkpoints only once the WAL holds
            // 16,384 pages (256 MiB), a bound for when `run()` is not keeping up or not running.
            // Readers keep SQLite's small default cache: there can be several of them.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA page_size = 16384")
                try db.execute(sql: "PRAGMA cache_size = -65536")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            }
        }
        self.path = path
        self.walQuietPeriod = walQuietPeriod
        self.logger = logger
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // A commit is on disk before it returns, as PostgreSQL's are. GRDB opens the writer with
        // WAL mode's usual NORMAL, which survives the process being killed but not a power failure,
        // and would lose batches already acknowledged. Only bulk writes that can be taken again
        // skip the sync (`bulkWrite`).
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
    }

    /// Checkpoints after each chunk of records the writer commits (several commits while one
    /// checkpoint runs are followed by one more), until cancelled or shut down.
    ///
    /// A checkpoint reads the new pages from the WAL, writes them into the database and waits for
    /// both files to reach the disk: done by the writer, a million-row ingest spent about 7 of its
    /// 25 seconds waiting for the disk. Here the waits overlap the writer's next chunks, which append
    /// to the WAL meanwhile.
    ///
    /// SQLite reuses the WAL file rather than shrinking it, so after a large load it would keep its
    /// largest size (about 270 MB) until the server stops. Once no chunk has been committed for a
    /// quiet period, a truncating checkpoint empties it. Cutting it back as it starts over during a
    /// load (`journal_size_limit`) cost a million-row ingest a second of growing the file again.
    ///
    /// A failed checkpoint is logged and tried at the next request, never fatal to the server: the
    /// writer's own checkpoints remain the fallback. A truncation that finds readers or the writer
    /// busy is tried again after the next quiet period.
    public func run() async throws {
        let configuration = {
            var configuration = Configuration()
            configuration.label = "checkpointer"
            // Only a truncation waits (for the writer and the readers of the WAL), and it holds the
            // write lock meanwhile: better to fail and try after the next quiet period.
            configuration.busyMode = .timeout(0.1)
            return configuration
        }()
        let (path, logger) = (self.path, self.logger)
        enum Event { case committed, quietPeriod }
        let events = merge(
            checkpointRequests.stream().map { Event.committed },
            AsyncTimerSequence(interval: walQuietPeriod, clock: .continuous).map { _ in Event.quietPeriod }
        )
        var checkpointer: DatabaseQueue?
        // The WAL holds pages written since it was last emptied; no chunk came in the last period.
        var walInUse = false
        var quiet = false
        for await event in events.cancelOnGracefulShutdown() {
            let kind: Database.CheckpointMode
            switch event {
            case .committed:
                (walInUse, quiet) = (true, false)
                kind = .passive
            case .quietPeriod:
                let due = walInUse && quiet
                quiet = true
                guard due else { continue }
                kind = .truncate
            }
            do {
                let connection = try checkpointer ?? DatabaseQueue(path: path, configuration: configuration)
                checkpointer = connection
                try await connection.writeWithoutTransaction { db in _ = try db.checkpoint(kind) }
                if kind == .truncate { walInUse = false }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                // The writer is checkpointing itself, or a reader or writer kept the WAL in use.
            } catch {
                if Task.isCancelled { break }
                logger.warning("SQLite checkpoint failed; will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    public func migrate() async throws -> MigrationOutcome {
        // One write transaction: SQLite's single writer lock serialises migrators across processes.
        try await pool.write { db in
            db.add(function: SQLiteSchema.recordKeyFunction)
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
    public var collection: any CollectionRepository { SQLiteCollectionRepository(pool: pool, checkpointRequests: checkpointRequests) }
    public var identity: any IdentityRepository { SQLiteIdentityRepository(pool: pool) }
    public var audit: any AuditRepository { SQLiteAuditRepository(pool: pool) }
}
