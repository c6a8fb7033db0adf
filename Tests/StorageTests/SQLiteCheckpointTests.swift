import CreditHubTestSupport
import Foundation
import GRDB
import Storage
@testable import StorageSQLite
import Testing

@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
    @Test("While the store runs, committed pages reach the database file without the writer checkpointing, now and after a pause")
    func runningStoreCheckpoints() async throws {
        try await TestStores.withSQLitePath { path in
            let store = try SQLiteStore(path: path)
            _ = try await store.migrate()
            @Sendable func databaseBytes() throws -> Int {
                try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            }
            // About 2 MB per write: far below the 16,384 pages at which the writer checkpoints itself.
            @Sendable func write() async throws {
                try await store.pool.write { db in
                    try db.execute(sql: "CREATE TABLE IF NOT EXISTS filler (bytes BLOB NOT NULL)")
                    for _ in 0..<500 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(4096))") }
                }
            }
            @Sendable func waitForDatabase(toReach bytes: Int) async throws {
                let deadline = ContinuousClock.now + .seconds(30)
                while try databaseBytes() < bytes, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            }
            let empty = try databaseBytes()
            try await write()
            #expect(try databaseBytes() == empty, "the pages are only in the WAL")
            try await store.withRunning { store in
                try await waitForDatabase(toReach: empty + 2_000_000)
                #expect(try databaseBytes() >= empty + 2_000_000)
                // Idle for longer than a busy interval, then written to again.
                try await Task.sleep(for: .seconds(1.5))
                try await write()
                try await waitForDatabase(toReach: empty + 4_000_000)
                #expect(try databaseBytes() >= empty + 4_000_000)
            }
        }
    }
}
