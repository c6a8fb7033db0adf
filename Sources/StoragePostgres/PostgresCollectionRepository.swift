import CreditKernel
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Storage

struct PostgresCollectionRepository: CollectionRepository {
    let client: PostgresClient
    let logger: Logger

    static let batchColumns = """
        id, resource_id, resource_version, source_unit, channel, sha256, size, file_name, format, declared_encoding, idempotency_key,
        submitted_by, received_at, status, processed_rows, total, accepted, fixed, rejected, duplicate, conflict, complete_rows,
        valid_rows, dated_rows, timely_rows, decoding, batch_problems, completed_at, problems_omitted
        """

    // MARK: - Batches

    func createBatch(_ batch: NewBatch) async throws -> (batch: StoredBatch, created: Bool) {
        try await client.transaction(logger: logger) { connection in
            // Serialise creation per unit so two uploads of the same bytes cannot both be new.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(batch.sourceUnit)))", logger: logger)
            if let key = batch.idempotencyKey,
                let existing = try await Self.fetchBatches(
                    connection, "SELECT \(unescaped: Self.batchColumns) FROM batches WHERE source_unit = \(batch.sourceUnit) AND idempotency_key = \(key)", logger
                ).first
            {
                return (existing, false)
            }
            if let existing = try await Self.fetchBatches(
                connection,
                "SELECT \(unescaped: Self.batchColumns) FROM batches WHERE source_unit = \(batch.sourceUnit) AND resource_id = \(batch.resourceID) AND sha256 = \(batch.sha256)",
                logger
            ).first {
                return (existing, false)
            }
            try await connection.query(
                """
                INSERT INTO batches (id, resource_id, resource_version, source_unit, channel, sha256, size, file_name, format,
                    declared_encoding, idempotency_key, submitted_by, received_at, status)
                VALUES (\(batch.id), \(batch.resourceID), \(batch.resourceVersion), \(batch.sourceUnit), \(batch.channel.rawValue), \(batch.sha256),
                    \(batch.size), \(batch.fileName), \(batch.format?.rawValue), \(batch.declaredEncoding?.rawValue), \(batch.idempotencyKey),
                    \(batch.submittedBy), \(batch.receivedAt), 'received')
                """,
                logger: logger
            )
            return (StoredBatch(batch: batch, status: .received, processedRows: 0, rows: RowCounts(), tally: QualityTally(), decoding: nil, batchProblems: [], completedAt: nil), true)
        }
    }

    static func fetchBatches(_ connection: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) async throws -> [StoredBatch] {
        var result: [StoredBatch] = []
        for try await row in try await connection.query(query, logger: logger) {
            result.append(try batch(row.makeRandomAccess()))
        }
        return result
    }

    func fetchBatches(_ query: PostgresQuery) async throws -> [StoredBatch] {
        var result: [StoredBatch] = []
        for try await row in try await client.query(query, logger: logger) {
            result.append(try Self.batch(row.makeRandomAccess()))
        }
        return result
    }

    static func batch(_ row: PostgresRandomAccessRow) throws -> StoredBatch {
        func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
        let decoding: String? = try value("decoding")
        return StoredBatch(
            batch: NewBatch(
                id: try value("id"), resourceID: try value("resource_id"), resourceVersion: try value("resource_version"),
                sourceUnit: try value("source_unit"), channel: CollectionChannel(rawValue: try value("channel")) ?? .interface,
                sha256: try value("sha256"), size: try value("size"), fileName: try value("file_name"),
                format: (try value("format", String?.self)).flatMap(ArtefactFormat.init(rawValue:)),
                declaredEncoding: (try value("declared_encoding", String?.self)).flatMap(TextEncoding.init(rawValue:)),
                idempotencyKey: try value("idempotency_key"), submittedBy: try value("submitted_by"), receivedAt: try value("received_at")
            ),
            status: BatchStatus(rawValue: try value("status")) ?? .received,
            processedRows: Int(try value("processed_rows", Int64.self)),
            rows: RowCounts(
                total: Int(try value("total", Int64.self)), accepted: Int(try value("accepted", Int64.self)), fixed: Int(try value("fixed", Int64.self)),
                rejected: Int(try value("rejected", Int64.self)), duplicate: Int(try value("duplicate", Int64.self)), conflict: Int(try value("conflict", Int64.self))
            ),
            tally: QualityTally(
                completeRows: Int(try value("complete_rows", Int64.self)), validRows: Int(try value("valid_rows", Int64.self)),
                datedRows: Int(try value("dated_rows", Int64.self)), timelyRows: Int(try value("timely_rows", Int64.self))
            ),
            decoding: try decoding.map { try StorageCoding.decode(BatchDecoding.self, $0) },
            batchProblems: try StorageCoding.decode([Issue].self, try value("batch_problems")),
            completedAt: try value("completed_at"),
            problemsOmitted: Int(try value("problems_omitted", Int64.self))
        )
    }

    func batch(id: String) async throws -> StoredBatch? {
        try await fetchBatches("SELECT \(unescaped: Self.batchColumns) FROM batches WHERE id = \(id)").first
    }

    func unfinishedBatches() async throws -> [StoredBatch] {
        try await fetchBatches("SELECT \(unescaped: Self.batchColumns) FROM batches WHERE status IN ('received', 'processing') ORDER BY received_at")
    }

    func batches(sourceUnit: String?, status: BatchStatus?, limit: Int) async throws -> [StoredBatch] {
        try await fetchBatches(
            """
            SELECT \(unescaped: Self.batchColumns) FROM batches
            WHERE (\(sourceUnit)::text IS NULL OR source_unit = \(sourceUnit)) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY received_at DESC LIMIT \(limit)
            """
        )
    }

    func startBatch(id: String, decoding: BatchDecoding) async throws {
        let json = try StorageCoding.encode(decoding)
        try await client.query(
            "UPDATE batches SET status = 'processing', decoding = \(json) WHERE id = \(id) AND status IN ('received', 'processing')",
            logger: logger
        )
    }

    func claimBatch(id: String) async throws -> Int {
        var starts = 0
        for try await value in try await client.query(
            """
            UPDATE batches SET interrupted_starts = CASE WHEN interrupted_at_row = processed_rows THEN interrupted_starts + 1 ELSE 1 END,
                interrupted_at_row = processed_rows
            WHERE id = \(id) RETURNING interrupted_starts
            """,
            logger: logger
        ).decode(Int.self) {
            starts = value
        }
        return starts
    }

    func releaseBatch(id: String) async throws {
        try await client.query("UPDATE batches SET interrupted_starts = GREATEST(interrupted_starts - 1, 0) WHERE id = \(id)", logger: logger)
    }

    func reopenBatch(id: String) async throws -> Bool {
        var reopened = false
        for try await _ in try await client.query(
            """
            UPDATE batches SET status = 'processing', completed_at = NULL, batch_problems = '[]', interrupted_starts = 0, interrupted_at_row = -1
            WHERE id = \(id) AND status = 'failed' RETURNING id
            """,
            logger: logger
        ) {
            reopened = true
        }
        return reopened
    }

    func finishBatch(id: String, status: BatchStatus, completedAt: Date, batchProblems: [Issue]) async throws {
        let problems = try StorageCoding.encode(batchProblems)
        try await client.query(
            "UPDATE batches SET status = \(status.rawValue), completed_at = \(completedAt), batch_problems = \(problems) WHERE id = \(id)",
            logger: logger
        )
    }

    // MARK: - Records

    func currentRecords(keyHashes: [Digest128]) async throws -> (records: [Digest128: CurrentRecord], head: Int64) {
        // In index order, successive probes descend through pages the previous one just read.
        let keys = Set(keyHashes).sorted().map { ByteBuffer(bytes: $0.bytes) }
        return try await client.withConnection { connection in
            // The head first: records read afterwards are at least as new, and a writer that
            // changes one of them after the head is caught when the chunk commits.
            let head = try await Self.feedHead(on: connection, logger: logger)
            var result: [Digest128: CurrentRecord] = [:]
            if !keys.isEmpty {
                // One index probe per key, whatever the statistics say: during a large load they lag
                // behind the table, and `key_hash = ANY(…)` was then planned as a (parallel)
                // sequential scan of all records for every chunk.
                let rows = try await connection.query(
                    """
                    SELECT k.key_hash, r.seq, r.version, r.source_unit, r.content_hash, r.batch_id, r.row_number
                    FROM unnest(\(keys)::bytea[]) AS k (key_hash)
                    CROSS JOIN LATERAL (
                        SELECT seq, version, source_unit, content_hash, batch_id, row_number FROM records
                        WHERE records.key_hash = k.key_hash ORDER BY version DESC LIMIT 1
                    ) r
                    """,
                    logger: logger
                )
                for try await (key, sequence, version, source, content, batch, row) in rows.decode((ByteBuffer, Int64, Int, String, ByteBuffer, String, Int).self) {
                    result[Digest128(bytes: key.readableBytesView)] = CurrentRecord(
                        sequence: sequence, version: version, sourceUnit: source, contentHash: Digest128(bytes: content.readableBytesView), batchID: batch, rowNumber: row
                    )
                }
            }
            return (result, head)
        }
    }

    func openConflicts(keyHashes: [Digest128]) async throws -> [ConflictIdentity: String] {
        let keys = Array(Set(keyHashes)).map { ByteBuffer(bytes: $0.bytes) }
        guard !keys.isEmpty else { return [:] }
        var result: [ConflictIdentity: String] = [:]
        let rows = try await client.query(
            "SELECT id, key_hash, incoming_source_unit, incoming_content_hash FROM conflicts WHERE status = 'open' AND key_hash = ANY(\(keys))",
            logger: logger
        )
        for try await (id, key, source, content) in rows.decode((String, ByteBuffer, String, ByteBuffer).self) {
            result[ConflictIdentity(keyHash: Digest128(bytes: key.readableBytesView), incomingSource: source, incomingContentHash: Digest128(bytes: content.readableBytesView))] = id
        }
        return result
    }

    static let recordColumns = [
        "seq", "resource_id", "key_hash", "business_key", "version", "operation", "subject_code", "subject_type", "subject_name", "division",
        "event_date", "source_unit", "batch_id", "row_number", "content_hash", "data", "recorded_at", "supersedes",
    ]

    static func copyRow(_ version: RecordVersion, sequence: Int64, into text: inout PostgresCopyText, recordedAt: String? = nil) {
        text.integer(sequence)
        text.text(version.resourceID)
        text.digest(version.keyHash)
        text.text(version.businessKey)
        text.integer(version.version)
        text.text(version.operation.rawValue)
        text.text(version.subjectCode)
        text.optionalText(version.subjectType?.rawValue)
        text.text(version.subjectName)
        text.text(version.division)
        text.optionalText(version.eventDate)
        text.text(version.sourceUnit)
        text.text(version.batchID)
        text.integer(version.rowNumber)
        text.digest(version.contentHash)
        version.json.withUnsafeBufferPointer { text.text(utf8: $0) }
        text.text(recordedAt ?? PostgresTimestamp.text(version.recordedAt))
        text.optionalInteger(version.supersedes)
        text.endRow()
    }

    /// The last committed position of the change feed (0 when empty).
    static func feedHead(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var head: Int64 = 0
        for try await value in try await connection.query("SELECT COALESCE(MAX(seq), 0)::bigint FROM records", logger: logger).decode(Int64.self) {
            head = value
        }
        return head
    }

    /// Takes the next `count` positions of the change feed; the caller holds the change-feed lock,
    /// so they follow every committed record's. Rows written with their position spare the server a
    /// `nextval` per row (a tenth of a chunk's `COPY`).
    static func reserveSequences(_ count: Int, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var last: Int64 = 0
        for try await value in try await connection.query(
            "SELECT setval('record_seq', nextval('record_seq') + \(count - 1))", logger: logger
        ).decode(Int64.self) {
            last = value
        }
        return last - Int64(count) + 1
    }

    func commitChunk(_ chunk: ChunkCommit) async throws -> ClosedRange<Int64>? {
        let conflictJSON = try chunk.conflicts.map { try StorageCoding.encode(IncomingRecordJSON($0.incoming)) }
        var problemRows = PostgresCopyText(capacity: 4096)
        for problem in chunk.problems {
            problemRows.text(chunk.batchID)
            problemRows.integer(problem.problem.row)
            problemRows.text(problem.problem.status.rawValue)
            problemRows.text(JSONText.issues(problem.problem.issues))
            problemRows.text(JSONText.strings(problem.originalCells))
            problemRows.optionalText(try problem.problem.conflict.map { try StorageCoding.encode($0) })
            problemRows.endRow()
        }
        let logger = self.logger
        return try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.changeFeedLockKey))", logger: logger)
            var processed: Int64 = -1
            for try await value in try await connection.query(
                "SELECT processed_rows FROM batches WHERE id = \(chunk.batchID) FOR UPDATE", logger: logger
            ).decode(Int64.self) {
                processed = value
            }
            guard processed == Int64(chunk.processedRowsBefore) else {
                throw BatchProgressMismatch(batchID: chunk.batchID, expected: chunk.processedRowsBefore, found: Int(processed))
            }
            if !chunk.keyHashes.isEmpty {
                // Usually nothing but this batch's previous chunk was written since the head: range
                // scans of the primary key that find nothing. Statistics lag during a large load and
                // made this a sequential scan of all records, so the plan is not left to them.
                let keys = Set(chunk.keyHashes)
                try await connection.query("SET LOCAL enable_seqscan = off", logger: logger)
                for range in chunk.positionsToCheck {
                    let rows = try await connection.query(
                        """
                        SELECT key_hash FROM records
                        WHERE seq > \(range.after) AND seq < \(range.before ?? .max) AND batch_id <> \(chunk.batchID)
                        """,
                        logger: logger
                    )
                    for try await key in rows.decode(ByteBuffer.self) where keys.contains(Digest128(bytes: key.readableBytesView)) {
                        throw StaleChunkError()
                    }
                }
                try await connection.query("SET LOCAL enable_seqscan = on", logger: logger)
            }
            var positions: ClosedRange<Int64>?
            if !chunk.versions.isEmpty {
                var sequence = try await Self.reserveSequences(chunk.versions.count, on: connection, logger: logger)
                positions = sequence...(sequence + Int64(chunk.versions.count) - 1)
                try await connection.copyFrom(table: "records", columns: Self.recordColumns, logger: logger) { writer in
                    var text = PostgresCopyText()
                    // A chunk's versions share one recording time: format it once.
                    var recorded: (Date, String)?
                    for version in chunk.versions {
                        if recorded?.0 != version.recordedAt { recorded = (version.recordedAt, PostgresTimestamp.text(version.recordedAt)) }
                        Self.copyRow(version, sequence: sequence, into: &text, recordedAt: recorded?.1)
                        sequence += 1
                        if text.buffer.readableBytes > (1 << 20) { try await writer.write(text.take()) }
                    }
                    if !text.isEmpty { try await writer.write(text.take()) }
                }
            }
            for (index, conflict) in chunk.conflicts.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO conflicts (id, resource_id, key_hash, business_key, stored_seq, stored_version, stored_source_unit,
                        stored_batch_id, stored_row_number, incoming, incoming_source_unit, incoming_content_hash, status, created_at)
                    VALUES (\(conflict.id), \(conflict.resourceID), \(ByteBuffer(bytes: conflict.keyHash.bytes)), \(conflict.businessKey),
                        \(conflict.storedSequence), \(conflict.storedVersion), \(conflict.storedSourceUnit), \(conflict.storedBatchID),
                        \(conflict.storedRowNumber), \(conflictJSON[index]), \(conflict.incoming.sourceUnit),
                        \(ByteBuffer(bytes: conflict.incoming.contentHash.bytes)), 'open', \(conflict.createdAt))
                    ON CONFLICT DO NOTHING
                    """,
                    logger: logger
                )
            }
            if !problemRows.isEmpty {
                let buffer = problemRows.take()
                try await connection.copyFrom(
                    table: "batch_problems", columns: ["batch_id", "row_number", "status", "issues", "cells", "conflict"], logger: logger
                ) { writer in try await writer.write(buffer) }
            }
            try await connection.query(
                """
                UPDATE batches SET processed_rows = \(chunk.processedRowsAfter), total = total + \(chunk.counts.total),
                    accepted = accepted + \(chunk.counts.accepted), fixed = fixed + \(chunk.counts.fixed), rejected = rejected + \(chunk.counts.rejected),
                    duplicate = duplicate + \(chunk.counts.duplicate), conflict = conflict + \(chunk.counts.conflict),
                    complete_rows = complete_rows + \(chunk.tally.completeRows), valid_rows = valid_rows + \(chunk.tally.validRows),
                    dated_rows = dated_rows + \(chunk.tally.datedRows), timely_rows = timely_rows + \(chunk.tally.timelyRows),
                    problems_omitted = problems_omitted + \(chunk.problemsOmitted)
                WHERE id = \(chunk.batchID)
                """,
                logger: logger
            )
            return positions
        }
    }

    func problemCounts(batchID: String) async throws -> [RowStatus: Int] {
        var counts: [RowStatus: Int] = [:]
        let rows = try await client.query("SELECT status, count(*) FROM batch_problems WHERE batch_id = \(batchID) GROUP BY status", logger: logger)
        for try await (status, count) in rows.decode((String, Int64).self) {
            if let status = RowStatus(rawValue: status) { counts[status] = Int(count) }
        }
        return counts
    }

    func problems(batchID: String, afterRow: Int, limit: Int) async throws -> [StoredProblem] {
        var result: [StoredProblem] = []
        let rows = try await client.query(
            """
            SELECT row_number, status, issues, cells, conflict FROM batch_problems
            WHERE batch_id = \(batchID) AND row_number > \(afterRow) ORDER BY row_number LIMIT \(limit)
            """,
            logger: logger
        )
        for try await (row, status, issues, cells, conflict) in rows.decode((Int, String, String, String, String?).self) {
            result.append(
                StoredProblem(
                    problem: ProblemRow(
                        row: row, status: RowStatus(rawValue: status) ?? .rejected, issues: try StorageCoding.decode([Issue].self, issues),
                        conflict: try conflict.map { try StorageCoding.decode(ConflictReference.self, $0) }
                    ),
                    originalCells: try StorageCoding.decode([String].self, cells)
                )
            )
        }
        return result
    }

    func problemRowsJSON(batchID: String, afterRow: Int, limit: Int) async throws -> [ProblemRowJSON] {
        var result: [ProblemRowJSON] = []
        let rows = try await client.query(
            """
            SELECT row_number, status, issues, conflict FROM batch_problems
            WHERE batch_id = \(batchID) AND row_number > \(afterRow) ORDER BY row_number LIMIT \(limit)
            """,
            logger: logger
        )
        for try await (row, status, issues, conflict) in rows.decode((Int, String, ByteBuffer, ByteBuffer?).self) {
            result.append(
                ProblemRowJSON(
                    row: row, status: RowStatus(rawValue: status) ?? .rejected, issuesJSON: issues.readableBytesView, conflictJSON: conflict?.readableBytesView
                )
            )
        }
        return result
    }

    static let versionColumns = """
        seq, resource_id, key_hash, business_key, version, operation, subject_code, subject_type, subject_name, division, event_date,
        source_unit, batch_id, row_number, content_hash, data, recorded_at, supersedes
        """

    func fetchVersions(_ query: PostgresQuery) async throws -> [RecordVersion] {
        var result: [RecordVersion] = []
        for try await row in try await client.query(query, logger: logger) {
            let row = row.makeRandomAccess()
            func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
            result.append(
                RecordVersion(
                    sequence: try value("seq"), resourceID: try value("resource_id"), keyHash: Digest128(bytes: try value("key_hash", ByteBuffer.self).readableBytesView),
                    businessKey: try value("business_key"), version: try value("version"),
                    operation: RecordOperation(rawValue: try value("operation")) ?? .create, subjectCode: try value("subject_code"),
                    subjectType: (try value("subject_type", String?.self)).flatMap(SubjectType.init(rawValue:)), subjectName: try value("subject_name"),
                    division: try value("division"), eventDate: try value("event_date"), sourceUnit: try value("source_unit"), batchID: try value("batch_id"),
                    rowNumber: try value("row_number"), contentHash: Digest128(bytes: try value("content_hash", ByteBuffer.self).readableBytesView),
                    json: Array(try value("data", ByteBuffer.self).readableBytesView), recordedAt: try value("recorded_at"), supersedes: try value("supersedes")
                )
            )
        }
        return result
    }

    func recordHistory(resourceID: String, businessKey: String) async throws -> [RecordVersion] {
        // The key index finds the versions; without it this was a scan of every record.
        let keyHash = ByteBuffer(bytes: Digest128.businessKey(resourceID: resourceID, businessKey: businessKey).bytes)
        return try await fetchVersions(
            """
            SELECT \(unescaped: Self.versionColumns) FROM records
            WHERE key_hash = \(keyHash) AND resource_id = \(resourceID) AND business_key = \(businessKey) ORDER BY version
            """
        )
    }

    func changes(after sequence: Int64, limit: Int, resourceIDs: [String]?, division: String?) async throws -> [RecordVersion] {
        let resources = resourceIDs ?? []
        let prefix = (division ?? "") + "%"
        return try await fetchVersions(
            """
            SELECT \(unescaped: Self.versionColumns) FROM records
            WHERE seq > \(sequence) AND (cardinality(\(resources)::text[]) = 0 OR resource_id = ANY(\(resources)::text[]))
                AND division LIKE \(prefix)
            ORDER BY seq LIMIT \(limit)
            """
        )
    }

    // MARK: - Conflicts

    static let conflictColumns = """
        id, resource_id, key_hash, business_key, stored_seq, stored_version, stored_source_unit, stored_batch_id, stored_row_number,
        incoming, status, created_at, resolved_by, resolved_at, reason
        """

    static func conflict(_ row: PostgresRandomAccessRow) throws -> ConflictRecord {
        func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
        var incoming = try StorageCoding.decode(IncomingRecordJSON.self, try value("incoming")).version
        incoming.keyHash = Digest128(bytes: try value("key_hash", ByteBuffer.self).readableBytesView)
        return ConflictRecord(
            id: try value("id"), resourceID: try value("resource_id"), keyHash: incoming.keyHash, businessKey: try value("business_key"),
            storedSequence: try value("stored_seq"), storedVersion: try value("stored_version"), storedSourceUnit: try value("stored_source_unit"),
            storedBatchID: try value("stored_batch_id"), storedRowNumber: try value("stored_row_number"), incoming: incoming,
            status: ConflictStatus(rawValue: try value("status")) ?? .open, createdAt: try value("created_at"), resolvedBy: try value("resolved_by"),
            resolvedAt: try value("resolved_at"), reason: try value("reason")
        )
    }

    func fetchConflicts(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [ConflictRecord] {
        var result: [ConflictRecord] = []
        let rows = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        for try await row in rows {
            result.append(try Self.conflict(row.makeRandomAccess()))
        }
        return result
    }

    func conflicts(status: ConflictStatus?, limit: Int) async throws -> [ConflictRecord] {
        if let status {
            return try await fetchConflicts(
                "SELECT \(unescaped: Self.conflictColumns) FROM conflicts WHERE status = \(status.rawValue) ORDER BY created_at LIMIT \(limit)"
            )
        }
        return try await fetchConflicts("SELECT \(unescaped: Self.conflictColumns) FROM conflicts ORDER BY created_at LIMIT \(limit)")
    }

    func conflict(id: String) async throws -> ConflictRecord? {
        try await fetchConflicts("SELECT \(unescaped: Self.conflictColumns) FROM conflicts WHERE id = \(id)").first
    }

    func resolveConflict(id: String, keepIncoming: Bool, resolvedBy: String, reason: String, at time: Date) async throws -> ConflictRecord {
        let logger = self.logger
        return try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.changeFeedLockKey))", logger: logger)
            guard var conflict = try await fetchConflicts(
                "SELECT \(unescaped: Self.conflictColumns) FROM conflicts WHERE id = \(id) FOR UPDATE", on: connection
            ).first else {
                throw CreditHubError(code: "conflict_not_found", message: "no conflict \(id)")
            }
            guard conflict.status == .open else {
                throw CreditHubError(code: "conflict_resolved", message: "conflict \(id) was already resolved (\(conflict.status.rawValue)) by \(conflict.resolvedBy ?? "?")")
            }
            if keepIncoming {
                var current: (Int64, Int)?
                for try await row in try await connection.query(
                    "SELECT seq, version FROM records WHERE key_hash = \(ByteBuffer(bytes: conflict.keyHash.bytes)) ORDER BY version DESC LIMIT 1", logger: logger
                ).decode((Int64, Int).self) {
                    current = row
                }
                var version = conflict.incoming
                version.version = (current?.1 ?? 0) + 1
                version.supersedes = current?.0
                version.operation = .conflictResolution
                version.recordedAt = time
                var text = PostgresCopyText(capacity: 2048)
                Self.copyRow(version, sequence: try await Self.reserveSequences(1, on: connection, logger: logger), into: &text)
                let buffer = text.take()
                try await connection.copyFrom(table: "records", columns: Self.recordColumns, logger: logger) { writer in try await writer.write(buffer) }
            }
            conflict.status = keepIncoming ? .acceptedIncoming : .keptStored
            conflict.resolvedBy = resolvedBy
            conflict.resolvedAt = time
            conflict.reason = reason
            try await connection.query(
                """
                UPDATE conflicts SET status = \(conflict.status.rawValue), resolved_by = \(resolvedBy), resolved_at = \(time), reason = \(reason)
                WHERE id = \(id)
                """,
                logger: logger
            )
            return conflict
        }
    }

    // MARK: - Theme and quality

    func projectSubjectTheme(limit: Int) async throws -> Int {
        let logger = self.logger
        return try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.themeProjectionLockKey))", logger: logger)
            // The latest name and type come from the same pass over the step (joining back to
            // records by sequence was planned as a scan of all records once the theme was large),
            // and the step is a primary-key range whatever the lagging statistics say. A step's
            // sort fits in memory (about 20 MB per 100,000 records) instead of spilling to disk; one
            // sort, in the theme key's byte order, serves the totals, the latest row and the upsert.
            try await connection.query("SET LOCAL enable_seqscan = off", logger: logger)
            try await connection.query("SET LOCAL work_mem = '64MB'", logger: logger)
            var cursor: Int64 = 0
            for try await value in try await connection.query(
                "SELECT position FROM projection_cursors WHERE name = 'subject_summary'", logger: logger
            ).decode(Int64.self) {
                cursor = value
            }
            // The step ends `limit` positions on, not after `limit` records: counting them meant
            // reading each new record's heap tuple (they are not yet all-visible) just to find the end.
            let head = try await Self.feedHead(on: connection, logger: logger)
            guard head > cursor else { return 0 }
            let upTo = min(head, cursor + Int64(limit))
            try await connection.query(
                """
                INSERT INTO subject_summaries (subject_code, resource_id, subject_name, subject_type, record_count, latest_event_date, updated_at)
                SELECT DISTINCT ON (subject_code COLLATE "C", resource_id COLLATE "C") subject_code, resource_id, subject_name, subject_type,
                    COUNT(*) FILTER (WHERE version = 1) OVER subject, MAX(event_date) OVER subject, now()
                FROM records WHERE seq > \(cursor) AND seq <= \(upTo) AND subject_code <> ''
                WINDOW subject AS (
                    PARTITION BY subject_code COLLATE "C", resource_id COLLATE "C" ORDER BY seq DESC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                )
                ORDER BY subject_code COLLATE "C", resource_id COLLATE "C", seq DESC
                ON CONFLICT (subject_code, resource_id) DO UPDATE SET
                    subject_name = EXCLUDED.subject_name,
                    subject_type = COALESCE(EXCLUDED.subject_type, subject_summaries.subject_type),
                    record_count = subject_summaries.record_count + EXCLUDED.record_count,
                    latest_event_date = GREATEST(subject_summaries.latest_event_date, EXCLUDED.latest_event_date),
                    updated_at = EXCLUDED.updated_at
                """,
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO projection_cursors (name, position) VALUES ('subject_summary', \(upTo))
                ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position
                """,
                logger: logger
            )
            return Int(upTo - cursor)
        }
    }

    func subjectThemePosition() async throws -> Int64 {
        var position: Int64 = 0
        for try await value in try await client.query(
            "SELECT position FROM projection_cursors WHERE name = 'subject_summary'", logger: logger
        ).decode(Int64.self) {
            position = value
        }
        return position
    }

    func subjectSummary(subjectCode: String) async throws -> [SubjectResourceSummary] {
        var result: [SubjectResourceSummary] = []
        let rows = try await client.query(
            """
            SELECT subject_code, resource_id, subject_name, subject_type, record_count, latest_event_date, updated_at
            FROM subject_summaries WHERE subject_code = \(subjectCode) ORDER BY resource_id
            """,
            logger: logger
        )
        for try await (code, resource, name, type, count, date, updated) in rows.decode((String, String, String, String?, Int64, String?, Date).self) {
            result.append(
                SubjectResourceSummary(
                    subjectCode: code, resourceID: resource, subjectName: name, subjectType: type.flatMap(SubjectType.init(rawValue:)),
                    recordCount: Int(count), latestEventDate: date, updatedAt: updated
                )
            )
        }
        return result
    }

    func qualityHistory(sourceUnit: String?, resourceID: String?, from: Date?, to: Date?) async throws -> [QualityPoint] {
        let batches = try await fetchBatches(
            """
            SELECT \(unescaped: Self.batchColumns) FROM batches
            WHERE status = 'completed' AND total > 0
                AND (\(sourceUnit)::text IS NULL OR source_unit = \(sourceUnit))
                AND (\(resourceID)::text IS NULL OR resource_id = \(resourceID))
                AND (\(from)::timestamptz IS NULL OR completed_at >= \(from))
                AND (\(to)::timestamptz IS NULL OR completed_at < \(to))
            ORDER BY completed_at
            """
        )
        return batches.compactMap { batch in
            guard let scores = batch.quality, let completedAt = batch.completedAt else { return nil }
            return QualityPoint(batchID: batch.batch.id, sourceUnit: batch.batch.sourceUnit, resourceID: batch.batch.resourceID, completedAt: completedAt, rows: batch.rows, scores: scores)
        }
    }
}

/// Timestamps in the text form COPY reads, without a formatter on the hot path.
enum PostgresTimestamp {
    static func text(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = Int(seconds.rounded(.down))
        let micros = Int(((seconds - Double(whole)) * 1_000_000).rounded())
        let day = CalendarDate(daysSinceEpoch: whole >= 0 ? whole / 86400 : (whole - 86399) / 86400)
        var secondOfDay = whole - day.daysSinceEpoch * 86400
        let hour = secondOfDay / 3600
        secondOfDay %= 3600
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        let fraction = String(min(micros, 999_999))
        return "\(day) \(two(hour)):\(two(secondOfDay / 60)):\(two(secondOfDay % 60)).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)+00"
    }
}
