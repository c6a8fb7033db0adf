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
        ),
        (
            "0002_collection",
            """
            CREATE TABLE batches (
                id TEXT PRIMARY KEY,
                resource_id TEXT NOT NULL,
                resource_version INTEGER NOT NULL,
                source_unit TEXT NOT NULL,
                channel TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size INTEGER NOT NULL,
                file_name TEXT,
                format TEXT,
                declared_encoding TEXT,
                idempotency_key TEXT,
                submitted_by TEXT NOT NULL,
                received_at REAL NOT NULL,
                status TEXT NOT NULL,
                processed_rows INTEGER NOT NULL DEFAULT 0,
                total INTEGER NOT NULL DEFAULT 0,
                accepted INTEGER NOT NULL DEFAULT 0,
                fixed INTEGER NOT NULL DEFAULT 0,
                rejected INTEGER NOT NULL DEFAULT 0,
                duplicate INTEGER NOT NULL DEFAULT 0,
                conflict INTEGER NOT NULL DEFAULT 0,
                complete_rows INTEGER NOT NULL DEFAULT 0,
                valid_rows INTEGER NOT NULL DEFAULT 0,
                dated_rows INTEGER NOT NULL DEFAULT 0,
                timely_rows INTEGER NOT NULL DEFAULT 0,
                decoding TEXT,
                batch_problems TEXT NOT NULL DEFAULT '[]',
                completed_at REAL
            );
            CREATE UNIQUE INDEX batches_same_bytes ON batches (source_unit, resource_id, sha256);
            CREATE UNIQUE INDEX batches_idempotency ON batches (source_unit, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE INDEX batches_unfinished ON batches (status) WHERE status IN ('received', 'processing');
            CREATE INDEX batches_by_unit ON batches (source_unit, received_at);

            CREATE TABLE records (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                resource_id TEXT NOT NULL,
                key_hash BLOB NOT NULL,
                business_key TEXT NOT NULL,
                version INTEGER NOT NULL,
                operation TEXT NOT NULL,
                subject_code TEXT NOT NULL,
                subject_type TEXT,
                subject_name TEXT NOT NULL,
                division TEXT NOT NULL,
                source_unit TEXT NOT NULL,
                batch_id TEXT NOT NULL,
                row_number INTEGER NOT NULL,
                content_hash BLOB NOT NULL,
                data TEXT NOT NULL,
                recorded_at REAL NOT NULL,
                supersedes INTEGER
            );
            CREATE UNIQUE INDEX records_key_version ON records (key_hash, version);

            CREATE TABLE conflicts (
                id TEXT PRIMARY KEY,
                resource_id TEXT NOT NULL,
                key_hash BLOB NOT NULL,
                business_key TEXT NOT NULL,
                stored_seq INTEGER NOT NULL,
                stored_version INTEGER NOT NULL,
                stored_source_unit TEXT NOT NULL,
                stored_batch_id TEXT NOT NULL,
                stored_row_number INTEGER NOT NULL,
                incoming TEXT NOT NULL,
                incoming_source_unit TEXT NOT NULL,
                incoming_content_hash BLOB NOT NULL,
                status TEXT NOT NULL,
                created_at REAL NOT NULL,
                resolved_by TEXT,
                resolved_at REAL,
                reason TEXT
            );
            CREATE UNIQUE INDEX conflicts_open ON conflicts (key_hash, incoming_source_unit, incoming_content_hash) WHERE status = 'open';
            CREATE INDEX conflicts_by_status ON conflicts (status, created_at);

            CREATE TABLE batch_problems (
                batch_id TEXT NOT NULL,
                row_number INTEGER NOT NULL,
                status TEXT NOT NULL,
                issues TEXT NOT NULL,
                cells TEXT NOT NULL,
                conflict TEXT,
                PRIMARY KEY (batch_id, row_number)
            ) WITHOUT ROWID;

            CREATE TABLE subject_summaries (
                subject_code TEXT NOT NULL,
                resource_id TEXT NOT NULL,
                subject_name TEXT NOT NULL,
                subject_type TEXT,
                record_count INTEGER NOT NULL,
                latest_event_date TEXT,
                updated_at REAL NOT NULL,
                PRIMARY KEY (subject_code, resource_id)
            ) WITHOUT ROWID;
            """
        ),
        (
            "0003_theme_projection",
            """
            ALTER TABLE records ADD COLUMN event_date TEXT;
            CREATE TABLE projection_cursors (
                name TEXT PRIMARY KEY,
                position INTEGER NOT NULL
            ) WITHOUT ROWID;
            """
        ),
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
