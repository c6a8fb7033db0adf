import CreditHubTestSupport
import CreditKernel
import Foundation
import GRDB
import Storage
@testable import StorageSQLite
import Testing

@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
    @Test("While the store runs, committed chunks of records reach the database file without the writer checkpointing; other writes are left to SQLite")
    func runningStoreCheckpoints() async throws {
        try await TestStores.withSQLitePath { path in
            let store = try SQLiteStore(path: path)
            _ = try await store.migrate()
            let collection = store.collection
            _ = try await collection.createBatch(
                NewBatch(
                    id: "A", resourceID: "admin_penalty", resourceVersion: 1, sourceUnit: "11330100002501984R", channel: .commandLine, sha256: "A",
                    size: 1, fileName: nil, format: .csv, declaredEncoding: nil, idempotencyKey: nil, submittedBy: "test", receivedAt: Date()
                )
            )
            @Sendable func databaseBytes() throws -> Int {
                try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            }
            @Sendable func waitForDatabase(toReach bytes: Int) async throws {
                let deadline = ContinuousClock.now + .seconds(30)
                while try databaseBytes() < bytes, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            }
            // About 2 MB of records: far below the 16,384 pages at which the writer checkpoints itself.
            @Sendable func commitChunk(after processed: Int) async throws {
                let versions = (processed..<(processed + 1_000)).map { index in
                    RecordVersion(
                        sequence: 0, resourceID: "admin_penalty", keyHash: Digest128(high: 1, low: UInt64(index)), businessKey: "K\(index)", version: 1,
                        operation: .create, subjectCode: "91330100511650734P", subjectType: nil, subjectName: "subject", division: "330100",
                        sourceUnit: "11330100002501984R", batchID: "A", rowNumber: index + 1, contentHash: Digest128(high: 2, low: UInt64(index)),
                        json: Array(repeating: UInt8(ascii: "x"), count: 2_000), recordedAt: Date(), supersedes: nil
                    )
                }
                _ = try await collection.commitChunk(
                    ChunkCommit(
                        batchID: "A", processedRowsBefore: processed, processedRowsAfter: processed + versions.count,
                        counts: RowCounts(total: versions.count, accepted: versions.count), tally: QualityTally(), observedHead: 0, keyHashes: [],
                        versions: versions, conflicts: [], problems: []
                    )
                )
            }
            let empty = try databaseBytes()
            try await store.withRunning { store in
                // About 2 MB that is no chunk of records: it stays in the WAL.
                try await store.pool.write { db in
                    try db.execute(sql: "CREATE TABLE filler (bytes BLOB NOT NULL)")
                    for _ in 0..<500 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(4096))") }
                }
                try await Task.sleep(for: .seconds(1))
                #expect(try databaseBytes() == empty)
                try await commitChunk(after: 0)
                try await waitForDatabase(toReach: empty + 4_000_000)
                #expect(try databaseBytes() >= empty + 4_000_000)
                try await commitChunk(after: 1_000)
                try await waitForDatabase(toReach: empty + 6_000_000)
                #expect(try databaseBytes() >= empty + 6_000_000)
            }
        }
    }
}
