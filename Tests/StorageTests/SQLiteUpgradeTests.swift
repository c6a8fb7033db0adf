import CreditHubTestSupport
import Foundation
import GRDB
@testable import StorageSQLite
import Testing

@Suite("SQLite upgrades")
struct SQLiteUpgradeTests {
    @Test("Records written before the sequence lost AUTOINCREMENT keep their sequence numbers, and the next follows the last")
    func recordsKeepTheirSequence() async throws {
        try await TestStores.withSQLitePath { path in
            let insert = """
                INSERT INTO records (seq, resource_id, key_hash, business_key, version, operation, subject_code, subject_name, division, source_unit,
                    batch_id, row_number, content_hash, data, recorded_at, event_date)
                VALUES (?, 'admin_penalty', ?, ?, 1, 'create', 'S', '名称', '330100', 'U', 'B1', 1, x'00', '{"a":"b"}', 0, '2024-01-02')
                """
            // The schema as the previous release left it, with two records.
            do {
                let queue = try DatabaseQueue(path: path)
                try await queue.write { db in
                    try db.execute(sql: SQLiteSchema.createMigrationsTable)
                    for (index, migration) in SQLiteSchema.migrations.prefix(6).enumerated() {
                        try db.execute(sql: migration.sql)
                        try db.execute(sql: "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", arguments: [index + 1, migration.name])
                    }
                    try db.execute(sql: insert, arguments: [5, Data([1]), "K5"])
                    try db.execute(sql: insert, arguments: [9, Data([2]), "K9"])
                }
            }
            let store = try SQLiteStore(path: path)
            #expect(try await store.migrate().applied == ["0007_records_rowid_sequence", "0008_batch_claims", "0009_problems_omitted", "0010_record_key_order"])
            let feed = try await store.collection.changes(after: 0, limit: 10, resourceIDs: nil, division: nil)
            #expect(feed.map(\.sequence) == [5, 9])
            #expect(feed.map(\.eventDate) == ["2024-01-02", "2024-01-02"])
            #expect(String(decoding: feed[0].json, as: UTF8.self) == #"{"a":"b"}"#)
            let next = try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: insert, arguments: [nil as Int64?, Data([3]), "K10"])
                return db.lastInsertedRowID
            }
            #expect(next == 10)
        }
    }
}
