import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema as an ordered list of migrations, applied in one transaction under an
/// advisory lock; a database's version is the highest applied.
enum PostgresSchema {
    /// Splits a migration into statements (the extended query protocol takes one at a time),
    /// keeping semicolons inside `$$`-quoted function bodies.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inDollarQuote = false
        var previous: Character = " "
        // Line comments go first: they may hold any punctuation.
        let uncommented = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }.joined(separator: "\n")
        for character in uncommented {
            current.append(character)
            if character == "$", previous == "$" { inDollarQuote.toggle() }
            if character == ";", !inDollarQuote {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if statement.count > 1 { statements.append(statement) }
                current = ""
            }
            previous = character
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// Arbitrary constant identifying CreditHub's migration lock.
    static let migrationLockKey: Int64 = 0x4372_6564_6974_4875
    /// Held while a transaction appends to the change feed, so sequence numbers commit in order.
    static let changeFeedLockKey: Int64 = 0x4372_6564_6974_4655
    /// Held while the subject theme is projected, so replicas take turns.
    static let themeProjectionLockKey: Int64 = 0x4372_6564_6974_5448
    /// Held while entries are appended to the audit chain, so replicas extend one chain.
    static let auditLockKey: Int64 = 0x4372_6564_6974_4155

    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            "0001_catalogue",
            """
            CREATE TABLE catalogue_resource_versions (
                resource_id text NOT NULL,
                version integer NOT NULL,
                digest text NOT NULL,
                definition jsonb NOT NULL,
                imported_at timestamptz NOT NULL,
                imported_by text NOT NULL,
                PRIMARY KEY (resource_id, version)
            );
            """
        ),
        PostgresMigration(
            "0002_collection",
            """
            CREATE TABLE batches (
                id text PRIMARY KEY,
                resource_id text NOT NULL,
                resource_version integer NOT NULL,
                source_unit text NOT NULL,
                channel text NOT NULL,
                sha256 text NOT NULL,
                size bigint NOT NULL,
                file_name text,
                format text,
                declared_encoding text,
                idempotency_key text,
                submitted_by text NOT NULL,
                received_at timestamptz NOT NULL,
                status text NOT NULL,
                processed_rows bigint NOT NULL DEFAULT 0,
                total bigint NOT NULL DEFAULT 0,
                accepted bigint NOT NULL DEFAULT 0,
                fixed bigint NOT NULL DEFAULT 0,
                rejected bigint NOT NULL DEFAULT 0,
                duplicate bigint NOT NULL DEFAULT 0,
                conflict bigint NOT NULL DEFAULT 0,
                complete_rows bigint NOT NULL DEFAULT 0,
                valid_rows bigint NOT NULL DEFAULT 0,
                dated_rows bigint NOT NULL DEFAULT 0,
                timely_rows bigint NOT NULL DEFAULT 0,
                decoding text,
                batch_problems text NOT NULL DEFAULT '[]',
                completed_at timestamptz
            );
            CREATE UNIQUE INDEX batches_same_bytes ON batches (source_unit, resource_id, sha256);
            CREATE UNIQUE INDEX batches_idempotency ON batches (source_unit, idempotency_key) WHERE idempotency_key IS NOT NULL;
            CREATE INDEX batches_unfinished ON batches (status) WHERE status IN ('received', 'processing');
            CREATE INDEX batches_by_unit ON batches (source_unit, received_at);

            CREATE SEQUENCE record_seq;
            CREATE TABLE records (
                seq bigint PRIMARY KEY DEFAULT nextval('record_seq'),
                resource_id text NOT NULL,
                key_hash bytea NOT NULL,
                business_key text NOT NULL,
                version integer NOT NULL,
                operation text NOT NULL,
                subject_code text NOT NULL,
                subject_type text,
                subject_name text NOT NULL,
                division text NOT NULL,
                source_unit text NOT NULL,
                batch_id text NOT NULL,
                row_number integer NOT NULL,
                content_hash bytea NOT NULL,
                data text NOT NULL,
                recorded_at timestamptz NOT NULL,
                supersedes bigint
            );
            ALTER SEQUENCE record_seq OWNED BY records.seq;
            CREATE UNIQUE INDEX records_key_version ON records (key_hash, version);

            CREATE TABLE conflicts (
                id text PRIMARY KEY,
                resource_id text NOT NULL,
                key_hash bytea NOT NULL,
                business_key text NOT NULL,
                stored_seq bigint NOT NULL,
                stored_version integer NOT NULL,
                stored_source_unit text NOT NULL,
                stored_batch_id text NOT NULL,
                stored_row_number integer NOT NULL,
                incoming text NOT NULL,
                incoming_source_unit text NOT NULL,
                incoming_content_hash bytea NOT NULL,
                status text NOT NULL,
                created_at timestamptz NOT NULL,
                resolved_by text,
                resolved_at timestamptz,
                reason text
            );
            CREATE UNIQUE INDEX conflicts_open ON conflicts (key_hash, incoming_source_unit, incoming_content_hash) WHERE status = 'open';
            CREATE INDEX conflicts_by_status ON conflicts (status, created_at);

            CREATE TABLE batch_problems (
                batch_id text NOT NULL,
                row_number integer NOT NULL,
                status text NOT NULL,
                issues text NOT NULL,
                cells text NOT NULL,
                conflict text,
                PRIMARY KEY (batch_id, row_number)
            );

            CREATE TABLE subject_summaries (
                subject_code text NOT NULL,
                resource_id text NOT NULL,
                subject_name text NOT NULL,
                subject_type text,
                record_count bigint NOT NULL,
                latest_event_date text,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (subject_code, resource_id)
            );
            """
        ),
        PostgresMigration(
            "0003_theme_projection",
            """
            ALTER TABLE records ADD COLUMN event_date text;
            CREATE TABLE projection_cursors (
                name text PRIMARY KEY,
                position bigint NOT NULL
            );
            """
        ),
        PostgresMigration(
            "0004_identity",
            """
            CREATE TABLE units (
                id text PRIMARY KEY,
                code text NOT NULL UNIQUE,
                name text NOT NULL,
                created_at timestamptz NOT NULL
            );
            CREATE TABLE people (
                id text PRIMARY KEY,
                username text NOT NULL UNIQUE,
                display_name text NOT NULL,
                unit_id text NOT NULL REFERENCES units (id),
                password_hash text NOT NULL,
                must_change_password boolean NOT NULL,
                totp_secret text,
                totp_enrolled boolean NOT NULL,
                totp_last_step bigint NOT NULL DEFAULT 0,
                failed_attempts integer NOT NULL DEFAULT 0,
                locked_until timestamptz,
                disabled boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL
            );
            CREATE TABLE person_roles (
                person_id text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
                role text NOT NULL,
                PRIMARY KEY (person_id, role)
            );
            CREATE TABLE systems (
                id text PRIMARY KEY,
                name text NOT NULL,
                unit_id text NOT NULL REFERENCES units (id),
                disabled boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL
            );
            CREATE TABLE system_roles (
                system_id text NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
                role text NOT NULL,
                PRIMARY KEY (system_id, role)
            );
            CREATE TABLE system_credentials (
                key_id text PRIMARY KEY,
                system_id text NOT NULL REFERENCES systems (id),
                secret text NOT NULL,
                created_at timestamptz NOT NULL,
                revoked_at timestamptz
            );
            CREATE TABLE sessions (
                id_hash text PRIMARY KEY,
                person_id text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
                stage text NOT NULL,
                csrf_token text NOT NULL,
                created_at timestamptz NOT NULL,
                last_seen_at timestamptz NOT NULL,
                source_ip text NOT NULL
            );
            CREATE INDEX sessions_by_person ON sessions (person_id);
            CREATE TABLE request_nonces (
                key_id text NOT NULL,
                nonce text NOT NULL,
                seen_at timestamptz NOT NULL,
                PRIMARY KEY (key_id, nonce)
            );
            """
        ),
        PostgresMigration(
            "0005_audit",
            """
            CREATE TABLE audit_entries (
                seq bigint PRIMARY KEY,
                at_ms bigint NOT NULL,
                actor_kind text NOT NULL,
                actor_id text NOT NULL,
                actor_unit text NOT NULL,
                source_ip text NOT NULL,
                action text NOT NULL,
                target text NOT NULL,
                outcome text NOT NULL,
                details text NOT NULL,
                retention_years integer NOT NULL,
                previous_hash text NOT NULL,
                hash text NOT NULL
            );
            CREATE INDEX audit_by_time ON audit_entries (at_ms);
            CREATE TABLE audit_checkpoints (
                seq bigint PRIMARY KEY,
                hash text NOT NULL,
                at_ms bigint NOT NULL,
                public_key text NOT NULL,
                signature text NOT NULL
            );
            CREATE TABLE audit_purges (
                through_seq bigint PRIMARY KEY,
                through_hash text NOT NULL,
                at_ms bigint NOT NULL,
                public_key text NOT NULL,
                signature text NOT NULL
            );
            -- Append-only. The application's role may not UPDATE, DELETE or TRUNCATE the log; the
            -- trigger refuses changes even to the table's owner, except deleting entries a recorded
            -- retention marker covers (the purge function, run as the owner).
            REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries, audit_checkpoints, audit_purges FROM PUBLIC;
            CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'audit_purges'
                    AND EXISTS (SELECT 1 FROM audit_purges WHERE through_seq >= OLD.seq) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'the audit log is append-only (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END;
            $$;
            CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
                FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
                FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER audit_purges_append_only BEFORE UPDATE OR DELETE ON audit_purges
                FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
                FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
            """
        ),
        PostgresMigration(
            "0006_theme_key_collation",
            """
            -- Subject codes and resource ids are ASCII identifiers: byte order is their order, and
            -- comparing bytes spares the theme's upserts a locale-aware comparison per index step.
            ALTER TABLE subject_summaries
                ALTER COLUMN subject_code TYPE text COLLATE "C",
                ALTER COLUMN resource_id TYPE text COLLATE "C";
            """
        ),
        PostgresMigration(
            "0007_batch_claims",
            """
            -- Starts of processing that never ended, at the progress they found: a batch that takes
            -- the server down each time it is resumed is failed rather than resumed forever.
            ALTER TABLE batches ADD COLUMN interrupted_starts integer NOT NULL DEFAULT 0;
            ALTER TABLE batches ADD COLUMN interrupted_at_row bigint NOT NULL DEFAULT -1;
            """
        ),
        PostgresMigration(
            "0008_problems_omitted",
            """
            -- Problem rows past a batch's allowance are counted, not stored: a file of broken lines
            -- must not turn each few bytes into a stored problem row.
            ALTER TABLE batches ADD COLUMN problems_omitted bigint NOT NULL DEFAULT 0;
            """
        ),
        PostgresMigration(
            "0009_record_key_order",
            // Record keys now keep a document series together in the key index
            // (`Digest128.businessKey`): stored keys are computed again the new way.
            "",
            rewrite: PostgresStore.recomputeRecordKeys
        ),
    ]
}

/// One step of the schema: SQL statements, then for a step that changes stored values in a way
/// SQL cannot compute, a rewrite run in the same transaction.
struct PostgresMigration: Sendable {
    var name: String
    var sql: String
    var rewrite: (@Sendable (PostgresConnection, Logger) async throws -> Void)?

    init(_ name: String, _ sql: String, rewrite: (@Sendable (PostgresConnection, Logger) async throws -> Void)? = nil) {
        self.name = name
        self.sql = sql
        self.rewrite = rewrite
    }
}
