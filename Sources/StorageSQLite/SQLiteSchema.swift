import GRDB

/// The SQLite schema as an ordered list of migrations; a database's version is the highest applied.
enum SQLiteSchema {
    static let migrations: [(name: String, sql: String)] = [
        (
            "0001_catalogue",
            """
            CREATE TABLE catalogue_resource_versions (
                resource_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                digest TEXT NOT NULL,
                definition TEXT NOT NULL,
                imported_at REAL NOT NULL,
                imported_by TEXT NOT NULL,
                PRIMARY KEY (resource_id, version)
            ) WITHOUT ROWID;
            """
        )
    ]

    static let createMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
        )
        """

    static func appliedVersion(_ db: Database) throws -> Int {
        guard try db.tableExists("schema_migrations") else { return 0 }
        return try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM schema_migrations") ?? 0
    }
}
