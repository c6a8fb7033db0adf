import CreditKernel
import Foundation
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
        (
            "0004_identity",
            """
            CREATE TABLE units (
                id TEXT PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                created_at REAL NOT NULL
            );
            CREATE TABLE people (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL,
                unit_id TEXT NOT NULL REFERENCES units (id),
                password_hash TEXT NOT NULL,
                must_change_password INTEGER NOT NULL,
                totp_secret TEXT,
                totp_enrolled INTEGER NOT NULL,
                totp_last_step INTEGER NOT NULL DEFAULT 0,
                failed_attempts INTEGER NOT NULL DEFAULT 0,
                locked_until REAL,
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL
            );
            CREATE TABLE person_roles (
                person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                PRIMARY KEY (person_id, role)
            ) WITHOUT ROWID;
            CREATE TABLE systems (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                unit_id TEXT NOT NULL REFERENCES units (id),
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL
            );
            CREATE TABLE system_roles (
                system_id TEXT NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                PRIMARY KEY (system_id, role)
            ) WITHOUT ROWID;
            CREATE TABLE system_credentials (
                key_id TEXT PRIMARY KEY,
                system_id TEXT NOT NULL REFERENCES systems (id),
                secret TEXT NOT NULL,
                created_at REAL NOT NULL,
                revoked_at REAL
            );
            CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY,
                person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
                stage TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_at REAL NOT NULL,
                last_seen_at REAL NOT NULL,
                source_ip TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX sessions_by_person ON sessions (person_id);
            CREATE TABLE request_nonces (
                key_id TEXT NOT NULL,
                nonce TEXT NOT NULL,
                seen_at REAL NOT NULL,
                PRIMARY KEY (key_id, nonce)
            ) WITHOUT ROWID;
            """
        ),
        (
            "0005_audit",
            """
            CREATE TABLE audit_entries (
                seq INTEGER PRIMARY KEY,
                at_ms INTEGER NOT NULL,
                actor_kind TEXT NOT NULL,
                actor_id TEXT NOT NULL,
                actor_unit TEXT NOT NULL,
                source_ip TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                outcome TEXT NOT NULL,
                details TEXT NOT NULL,
                retention_years INTEGER NOT NULL,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            );
            CREATE INDEX audit_by_time ON audit_entries (at_ms);
            CREATE TABLE audit_checkpoints (
                seq INTEGER PRIMARY KEY,
                hash TEXT NOT NULL,
                at_ms INTEGER NOT NULL,
                public_key TEXT NOT NULL,
                signature TEXT NOT NULL
            );
            CREATE TABLE audit_purges (
                through_seq INTEGER PRIMARY KEY,
                through_hash TEXT NOT NULL,
                at_ms INTEGER NOT NULL,
                public_key TEXT NOT NULL,
                signature TEXT NOT NULL
            );
            -- Append-only: entries change only by a retention purge, which first records its marker.
            CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
            BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
            CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
            WHEN NOT EXISTS (SELECT 1 FROM audit_purges WHERE through_seq >= OLD.seq)
            BEGIN SELECT RAISE(ABORT, 'audit entries are append-only; only a retention purge removes them'); END;
            CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
            BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
            CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
            WHEN NOT EXISTS (SELECT 1 FROM audit_purges WHERE through_seq >= OLD.seq)
            BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only; only a retention purge removes them'); END;
            CREATE TRIGGER audit_purges_no_change BEFORE UPDATE ON audit_purges
            BEGIN SELECT RAISE(ABORT, 'audit purge markers are append-only'); END;
            CREATE TRIGGER audit_purges_no_delete BEFORE DELETE ON audit_purges
            BEGIN SELECT RAISE(ABORT, 'audit purge markers are append-only'); END;
            """
        ),
        (
            // Summaries as a rowid table with a narrow key index: new subjects append at the end and
            // only the index takes random inserts, so a million-subject theme stays in the page cache
            // (the clustered table was rewritten page by page on every projection step).
            "0006_subject_summaries_rowid",
            """
            CREATE TABLE subject_summaries_by_rowid (
                subject_code TEXT NOT NULL,
                resource_id TEXT NOT NULL,
                subject_name TEXT NOT NULL,
                subject_type TEXT,
                record_count INTEGER NOT NULL,
                latest_event_date TEXT,
                updated_at REAL NOT NULL
            );
            INSERT INTO subject_summaries_by_rowid
                SELECT subject_code, resource_id, subject_name, subject_type, record_count, latest_event_date, updated_at FROM subject_summaries;
            DROP TABLE subject_summaries;
            ALTER TABLE subject_summaries_by_rowid RENAME TO subject_summaries;
            CREATE UNIQUE INDEX subject_summaries_key ON subject_summaries (subject_code, resource_id);
            """
        ),
        (
            // Record sequence numbers without AUTOINCREMENT, which kept a second table's row up to
            // date on every insert (about 8 % of an insert). Nothing deletes records, so the next
            // rowid, one past the largest, stays the monotonic sequence the change feed needs.
            "0007_records_rowid_sequence",
            """
            CREATE TABLE records_by_rowid (
                seq INTEGER PRIMARY KEY,
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
                supersedes INTEGER,
                event_date TEXT
            );
            INSERT INTO records_by_rowid SELECT * FROM records ORDER BY seq;
            DROP TABLE records;
            ALTER TABLE records_by_rowid RENAME TO records;
            CREATE UNIQUE INDEX records_key_version ON records (key_hash, version);
            """
        ),
        (
            // Starts of processing that never ended, at the progress they found: a batch that takes
            // the server down each time it is resumed is failed rather than resumed forever.
            "0008_batch_claims",
            """
            ALTER TABLE batches ADD COLUMN interrupted_starts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE batches ADD COLUMN interrupted_at_row INTEGER NOT NULL DEFAULT -1;
            """
        ),
        (
            // Problem rows past a batch's allowance are counted, not stored: a file of broken lines
            // must not turn each few bytes into a stored problem row.
            "0009_problems_omitted",
            """
            ALTER TABLE batches ADD COLUMN problems_omitted INTEGER NOT NULL DEFAULT 0;
            """
        ),
        (
            // Record keys now keep a document series together in the key index
            // (`Digest128.businessKey`): stored keys are computed again the new way.
            "0010_record_key_order",
            """
            UPDATE records SET key_hash = credithub_record_key(resource_id, business_key);
            UPDATE conflicts SET key_hash = credithub_record_key(resource_id, business_key);
            """
        ),
    ]

    /// `credithub_record_key(resource_id, business_key)`: the key hash a record is stored under,
    /// as the pipeline computes it, for migrations that compute stored keys again.
    static let recordKeyFunction = DatabaseFunction("credithub_record_key", argumentCount: 2, pure: true) { arguments in
        guard let resourceID = String.fromDatabaseValue(arguments[0]), let businessKey = String.fromDatabaseValue(arguments[1]) else { return nil }
        return Data(Digest128.businessKey(resourceID: resourceID, businessKey: businessKey).bytes)
    }

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
