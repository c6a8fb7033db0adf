import CreditKernel
import CreditHubTestSupport
import GRDB
import Storage
@testable import StorageSQLite
import Testing

@Suite("SQLite durability")
struct SQLiteDurabilityTests {
    struct Refused: Error {}

    static func writerSynchronous(_ store: SQLiteStore) async throws -> Int? {
        try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    }

    @Test("Commits are synced before they return (FULL); chunks and theme steps, which can be taken again, are not, and leave the writer syncing")
    func acknowledgementsAreSynced() async throws {
        try await TestStores.withSQLitePath { path in
            let store = try await SQLiteCheckpointTests.storeWithBatch(path: path)
            #expect(try await Self.writerSynchronous(store) == 2)
            #expect(try await store.pool.bulkWrite { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 1)
            #expect(try await Self.writerSynchronous(store) == 2)

            try await SQLiteCheckpointTests.commitChunk(store, after: 0)
            #expect(try await store.collection.projectSubjectTheme(limit: 100_000) == 1_000)
            #expect(try await Self.writerSynchronous(store) == 2)
            #expect(try await store.collection.subjectSummary(subjectCode: "91330100511650734P").first?.recordCount == 1_000)
        }
    }

    @Test("A bulk write that fails commits nothing and still leaves the writer syncing")
    func failedBulkWriteRollsBack() async throws {
        try await TestStores.withSQLitePath { path in
            let store = try await SQLiteCheckpointTests.storeWithBatch(path: path)
            await #expect(throws: Refused.self) {
                try await store.pool.bulkWrite { db in
                    try db.execute(sql: "UPDATE batches SET processed_rows = 5 WHERE id = 'A'")
                    throw Refused()
                }
            }
            #expect(try await Self.writerSynchronous(store) == 2)
            #expect(try await store.collection.batch(id: "A")?.processedRows == 0)
        }
    }
}
