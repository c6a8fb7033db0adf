import CreditKernel
import Logging
import PostgresNIO

extension PostgresStore {
    /// Computes the key hash of every stored record and conflict again from its resource and
    /// business key, as the pipeline now computes it (`Digest128.businessKey`), inside the
    /// migration's transaction.
    static func recomputeRecordKeys(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("CREATE TEMP TABLE recomputed_keys (id text PRIMARY KEY, key_hash bytea NOT NULL) ON COMMIT DROP", logger: logger)
        for (table, id, type, first) in [("records", "seq", "bigint", "0"), ("conflicts", "id", "text", "")] {
            try await connection.query("TRUNCATE recomputed_keys", logger: logger)
            // Pages in the order of the table's primary key, each copied into the temporary table,
            // then one join: memory stays one page however many records there are.
            var after = first
            while true {
                var bindings = PostgresBindings()
                bindings.append(after)
                let rows = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT \(id)::text AS row_id, resource_id, business_key FROM \(table) WHERE \(id) > $1::\(type) ORDER BY \(table).\(id) LIMIT 50000
                            """,
                        binds: bindings
                    ),
                    logger: logger
                )
                var text = PostgresCopyText()
                var last: String?
                for try await (rowID, resourceID, businessKey) in rows.decode((String, String, String).self) {
                    text.text(rowID)
                    text.digest(Digest128.businessKey(resourceID: resourceID, businessKey: businessKey))
                    text.endRow()
                    last = rowID
                }
                guard let last else { break }
                after = last
                let page = text.take()
                try await connection.copyFrom(table: "recomputed_keys", columns: ["id", "key_hash"], logger: logger) { writer in try await writer.write(page) }
            }
            try await connection.query(
                PostgresQuery(unsafeSQL: "UPDATE \(table) SET key_hash = k.key_hash FROM recomputed_keys k WHERE \(table).\(id) = k.id::\(type)"),
                logger: logger
            )
        }
    }
}
