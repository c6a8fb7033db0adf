import CreditKernel
import Foundation
import Logging
import PostgresNIO
import Storage

struct PostgresAuditRepository: AuditRepository {
    let client: PostgresClient
    let logger: Logger

    static let columns = """
        seq, at_ms, actor_kind, actor_id, actor_unit, source_ip, action, target, outcome, details, retention_years, previous_hash, hash
        """

    func append(_ records: [AuditRecord]) async throws -> [AuditEntry] {
        let logger = self.logger
        return try await client.transaction(logger: logger) { connection in
            // Replicas take turns extending the one chain.
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.auditLockKey))", logger: logger)
            let entries = AuditChain.chain(records, after: try await Self.head(connection, logger: logger))
            try await connection.copyFrom(
                table: "audit_entries",
                columns: [
                    "seq", "at_ms", "actor_kind", "actor_id", "actor_unit", "source_ip", "action", "target", "outcome", "details", "retention_years",
                    "previous_hash", "hash",
                ],
                logger: logger
            ) { writer in
                var text = PostgresCopyText(capacity: 4096)
                for entry in entries {
                    text.integer(entry.sequence)
                    text.integer(AuditChain.milliseconds(entry.at))
                    text.text(entry.actor.kind.rawValue)
                    text.text(entry.actor.id)
                    text.text(entry.actor.unit)
                    text.text(entry.sourceIP)
                    text.text(entry.action)
                    text.text(entry.target)
                    text.text(entry.outcome.rawValue)
                    text.text(entry.details)
                    text.integer(entry.retentionYears)
                    text.text(entry.previousHash)
                    text.text(entry.hash)
                    text.endRow()
                }
                try await writer.write(text.take())
            }
            return entries
        }
    }

    static func head(_ connection: PostgresConnection, logger: Logger) async throws -> (sequence: Int64, hash: String) {
        for try await (sequence, hash) in try await connection.query(
            "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1", logger: logger
        ).decode((Int64, String).self) {
            return (sequence, hash)
        }
        for try await (sequence, hash) in try await connection.query(
            "SELECT through_seq, through_hash FROM audit_purges ORDER BY through_seq DESC LIMIT 1", logger: logger
        ).decode((Int64, String).self) {
            return (sequence, hash)
        }
        return (0, AuditChain.genesis)
    }

    func head() async throws -> (sequence: Int64, hash: String) {
        try await client.withConnection { connection in try await Self.head(connection, logger: logger) }
    }

    func fetch(_ query: PostgresQuery) async throws -> [AuditEntry] {
        var result: [AuditEntry] = []
        for try await row in try await client.query(query, logger: logger) {
            let row = row.makeRandomAccess()
            func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
            result.append(
                AuditEntry(
                    sequence: try value("seq"), at: Date(timeIntervalSince1970: Double(try value("at_ms", Int64.self)) / 1000),
                    actor: AuditActor(kind: AuditActor.Kind(rawValue: try value("actor_kind")) ?? .anonymous, id: try value("actor_id"), unit: try value("actor_unit")),
                    sourceIP: try value("source_ip"), action: try value("action"), target: try value("target"),
                    outcome: AuditOutcome(rawValue: try value("outcome")) ?? .failure, details: try value("details"),
                    retentionYears: try value("retention_years"), previousHash: try value("previous_hash"), hash: try value("hash")
                )
            )
        }
        return result
    }

    func entries(from sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await fetch("SELECT \(unescaped: Self.columns) FROM audit_entries WHERE seq >= \(sequence) ORDER BY seq LIMIT \(limit)")
    }

    func search(_ query: AuditQuery) async throws -> [AuditEntry] {
        let from = query.from.map(AuditChain.milliseconds)
        let to = query.to.map(AuditChain.milliseconds)
        let actor = query.actor.flatMap { $0.isEmpty ? nil : $0 }
        let action = query.action.flatMap { $0.isEmpty ? nil : $0 + "%" }
        let target = query.target.flatMap { $0.isEmpty ? nil : $0 }
        return try await fetch(
            """
            SELECT \(unescaped: Self.columns) FROM audit_entries
            WHERE (\(from)::bigint IS NULL OR at_ms >= \(from)) AND (\(to)::bigint IS NULL OR at_ms < \(to))
                AND (\(actor)::text IS NULL OR actor_id = \(actor) OR actor_unit = \(actor))
                AND (\(action)::text IS NULL OR action LIKE \(action)) AND (\(target)::text IS NULL OR target = \(target))
            ORDER BY seq DESC LIMIT \(query.limit)
            """
        )
    }

    func addCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await client.query(
            """
            INSERT INTO audit_checkpoints (seq, hash, at_ms, public_key, signature)
            VALUES (\(checkpoint.sequence), \(checkpoint.hash), \(AuditChain.milliseconds(checkpoint.at)), \(checkpoint.publicKey), \(checkpoint.signature))
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
    }

    func checkpoints() async throws -> [AuditCheckpoint] {
        var result: [AuditCheckpoint] = []
        let rows = try await client.query("SELECT seq, hash, at_ms, public_key, signature FROM audit_checkpoints ORDER BY seq", logger: logger)
        for try await (sequence, hash, at, key, signature) in rows.decode((Int64, String, Int64, String, String).self) {
            result.append(AuditCheckpoint(sequence: sequence, hash: hash, at: Date(timeIntervalSince1970: Double(at) / 1000), publicKey: key, signature: signature))
        }
        return result
    }

    func purge(through marker: AuditPurgeMarker) async throws {
        let logger = self.logger
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.auditLockKey))", logger: logger)
            try await connection.query(
                """
                INSERT INTO audit_purges (through_seq, through_hash, at_ms, public_key, signature)
                VALUES (\(marker.throughSequence), \(marker.throughHash), \(AuditChain.milliseconds(marker.at)), \(marker.publicKey), \(marker.signature))
                """,
                logger: logger
            )
            try await connection.query("DELETE FROM audit_entries WHERE seq <= \(marker.throughSequence)", logger: logger)
            try await connection.query("DELETE FROM audit_checkpoints WHERE seq <= \(marker.throughSequence)", logger: logger)
        }
    }

    func purgeMarkers() async throws -> [AuditPurgeMarker] {
        var result: [AuditPurgeMarker] = []
        let rows = try await client.query("SELECT through_seq, through_hash, at_ms, public_key, signature FROM audit_purges ORDER BY through_seq", logger: logger)
        for try await (sequence, hash, at, key, signature) in rows.decode((Int64, String, Int64, String, String).self) {
            result.append(AuditPurgeMarker(throughSequence: sequence, throughHash: hash, at: Date(timeIntervalSince1970: Double(at) / 1000), publicKey: key, signature: signature))
        }
        return result
    }
}
