import CreditKernel
import Foundation
import GRDB
import Storage

struct SQLiteAuditRepository: AuditRepository {
    let pool: DatabasePool

    func append(_ records: [AuditRecord]) async throws -> [AuditEntry] {
        try await pool.write { db in
            let head = try Self.head(db)
            let entries = AuditChain.chain(records, after: head)
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO audit_entries (seq, at_ms, actor_kind, actor_id, actor_unit, source_ip, action, target, outcome, details,
                        retention_years, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for entry in entries {
                try insert.execute(arguments: [
                    entry.sequence, AuditChain.milliseconds(entry.at), entry.actor.kind.rawValue, entry.actor.id, entry.actor.unit, entry.sourceIP,
                    entry.action, entry.target, entry.outcome.rawValue, entry.details, entry.retentionYears, entry.previousHash, entry.hash,
                ])
            }
            return entries
        }
    }

    static func head(_ db: Database) throws -> (sequence: Int64, hash: String) {
        if let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1") {
            return (row["seq"], row["hash"])
        }
        // After a purge of everything, the chain continues from the marker.
        if let row = try Row.fetchOne(db, sql: "SELECT through_seq, through_hash FROM audit_purges ORDER BY through_seq DESC LIMIT 1") {
            return (row["through_seq"], row["through_hash"])
        }
        return (0, AuditChain.genesis)
    }

    func head() async throws -> (sequence: Int64, hash: String) {
        try await pool.read { db in try Self.head(db) }
    }

    static func entry(_ row: Row) -> AuditEntry {
        AuditEntry(
            sequence: row["seq"], at: Date(timeIntervalSince1970: Double(row["at_ms"] as Int64) / 1000),
            actor: AuditActor(kind: AuditActor.Kind(rawValue: row["actor_kind"]) ?? .anonymous, id: row["actor_id"], unit: row["actor_unit"]),
            sourceIP: row["source_ip"], action: row["action"], target: row["target"], outcome: AuditOutcome(rawValue: row["outcome"]) ?? .failure,
            details: row["details"], retentionYears: row["retention_years"], previousHash: row["previous_hash"], hash: row["hash"]
        )
    }

    func entries(from sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ?", arguments: [sequence, limit]).map(Self.entry)
        }
    }

    func search(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await pool.read { db in
            var sql = "SELECT * FROM audit_entries WHERE 1 = 1"
            var arguments: StatementArguments = []
            if let from = query.from {
                sql += " AND at_ms >= ?"
                arguments += [AuditChain.milliseconds(from)]
            }
            if let to = query.to {
                sql += " AND at_ms < ?"
                arguments += [AuditChain.milliseconds(to)]
            }
            if let actor = query.actor, !actor.isEmpty {
                sql += " AND (actor_id = ? OR actor_unit = ?)"
                arguments += [actor, actor]
            }
            if let action = query.action, !action.isEmpty {
                sql += " AND action LIKE ?"
                arguments += [action + "%"]
            }
            if let target = query.target, !target.isEmpty {
                sql += " AND target = ?"
                arguments += [target]
            }
            sql += " ORDER BY seq DESC LIMIT ?"
            arguments += [query.limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.entry)
        }
    }

    func addCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO audit_checkpoints (seq, hash, at_ms, public_key, signature) VALUES (?, ?, ?, ?, ?)",
                arguments: [checkpoint.sequence, checkpoint.hash, AuditChain.milliseconds(checkpoint.at), checkpoint.publicKey, checkpoint.signature]
            )
        }
    }

    func checkpoints() async throws -> [AuditCheckpoint] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq").map { row in
                AuditCheckpoint(
                    sequence: row["seq"], hash: row["hash"], at: Date(timeIntervalSince1970: Double(row["at_ms"] as Int64) / 1000),
                    publicKey: row["public_key"], signature: row["signature"]
                )
            }
        }
    }

    func purge(through marker: AuditPurgeMarker) async throws {
        try await pool.write { db in
            // The marker first: the delete trigger allows removing entries a marker covers.
            try db.execute(
                sql: "INSERT INTO audit_purges (through_seq, through_hash, at_ms, public_key, signature) VALUES (?, ?, ?, ?, ?)",
                arguments: [marker.throughSequence, marker.throughHash, AuditChain.milliseconds(marker.at), marker.publicKey, marker.signature]
            )
            try db.execute(sql: "DELETE FROM audit_entries WHERE seq <= ?", arguments: [marker.throughSequence])
            try db.execute(sql: "DELETE FROM audit_checkpoints WHERE seq <= ?", arguments: [marker.throughSequence])
        }
    }

    func purgeMarkers() async throws -> [AuditPurgeMarker] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_purges ORDER BY through_seq").map { row in
                AuditPurgeMarker(
                    throughSequence: row["through_seq"], throughHash: row["through_hash"],
                    at: Date(timeIntervalSince1970: Double(row["at_ms"] as Int64) / 1000), publicKey: row["public_key"], signature: row["signature"]
                )
            }
        }
    }
}
