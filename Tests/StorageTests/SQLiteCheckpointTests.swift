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
            let store = try await Self.storeWithBatch(path: path)
            let empty = try Self.fileBytes(path)
            try await store.withRunning { store in
                // About 2 MB that is no chunk of records: it stays in the WAL.
                try await store.pool.write { db in
                    try db.execute(sql: "CREATE TABLE filler (bytes BLOB NOT NULL)")
                    for _ in 0..<500 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(4096))") }
                }
                try await Task.sleep(for: .seconds(1))
                #expect(try Self.fileBytes(path) == empty)
                try await Self.commitChunk(store, after: 0)
                try await Self.waitFor(path, toReach: empty + 4_000_000)
                #expect(try Self.fileBytes(path) >= empty + 4_000_000)
                try await Self.commitChunk(store, after: 1_000)
                try await Self.waitFor(path, toReach: empty + 6_000_000)
                #expect(try Self.fileBytes(path) >= empty + 6_000_000)
            }
        }
    }

    @Test("Once chunks stop coming for the quiet period, the WAL file is emptied")
    func walIsEmptiedWhenQuiet() async throws {
        try await TestStores.withSQLitePath { path in
            let store = try await Self.storeWithBatch(path: path, walQuietPeriod: .milliseconds(200))
            try await store.withRunning { store in
                try await Self.commitChunk(store, after: 0)
                #expect(try Self.fileBytes(path + "-wal") > 2_000_000)
                let deadline = ContinuousClock.now + .seconds(10)
                while try Self.fileBytes(path + "-wal") > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                #expect(try Self.fileBytes(path + "-wal") == 0)
                #expect(try await store.collection.batch(id: "A")?.processedRows == 1_000)
            }
        }
    }

    static func storeWithBatch(path: String, walQuietPeriod: Duration = .seconds(5)) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path, walQuietPeriod: walQuietPeriod)
        _ = try await store.migrate()
        _ = try await store.collection.createBatch(
            NewBatch(
                id: "A", resourceID: "admin_penalty", resourceVersion: 1, sourceUnit: "11330100002501984R", channel: .commandLine, sha256: "A",
                size: 1, fileName: nil, format: .csv, declaredEncoding: nil, idempotencyKey: nil, submittedBy: "test", receivedAt: Date()
            )
        )
        return store
    }

    static func fileBytes(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }

    static func waitFor(_ path: String, toReach bytes: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try fileBytes(path) < bytes, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// About 2 MB of records: far below the 16,384 pages at which the writer checkpoints itself.
    static func commitChunk(_ store: SQLiteStore, after processed: Int) async throws {
        let versions = (processed..<(processed + 1_000)).map { index in
            RecordVersion(
                sequence: 0, resourceID: "admin_penalty", keyHash: Digest128(high: 1, low: UInt64(index)), businessKey: "K\(index)", version: 1,
                operation: .create, subjectCode: "91330100511650734P", subjectType: nil, subjectName: "subject", division: "330100",
                sourceUnit: "11330100002501984R", batchID: "A", rowNumber: index + 1, contentHash: Digest128(high: 2, low: UInt64(index)),
                json: Array(repeating: UInt8(ascii: "x"), count: 2_000), recordedAt: Date(), supersedes: nil
            )
        }
        _ = try await store.collection.commitChunk(
            ChunkCommit(
                batchID: "A", processedRowsBefore: processed, processedRowsAfter: processed + versions.count,
                counts: RowCounts(total: versions.count, accepted: versions.count), tally: QualityTally(), observedHead: 0, keyHashes: [],
                versions: versions, conflicts: [], problems: []
            )
        )
    }
}
