import GRDB

/// The SQLite schema as an ordered list of migrations; a database's version is how many it has applied.
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

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }
}
