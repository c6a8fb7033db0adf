import CreditHubTestSupport
import CreditKernel
import Foundation
import Ingestion
import SampleData
import Storage
import StoragePostgres
import StorageSQLite
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An acknowledged batch survives `kill -9` at any point: the next start resumes it after its last
/// committed chunk, and the result is the same as an uninterrupted run.
@Suite("Crash and resume", .serialized)
struct CrashResumeTests {
    static let rows = 8_000

    /// A generated penalty file of `rows` rows in `directory`.
    static func sampleFile(
        in directory: String, name: String = "penalties.csv", seed: UInt64 = 11, rows: Int = rows,
        defects: SampleGenerator.DefectMix = .init(fixable: 0.05, rejected: 0.03, duplicate: 0.02)
    ) throws -> String {
        let path = directory + "/" + name
        var generator = SampleGenerator(resource: Catalogue.standard.resource("admin_penalty")!, seed: seed, defects: defects)
        let sink = try SampleSink(path: path, encoding: .utf8)
        try sink.write(generator.header)
        for _ in 0..<rows { try sink.write(generator.nextRow()) }
        try sink.close()
        return path
    }

    /// Runs `body` with the environment a child credithub needs for `backend` and a store to watch.
    static func withEnvironment(_ backend: StoreBackend, _ body: @Sendable ([String: String], any CreditStore, String) async throws -> Void) async throws {
        let directory = Scratch.path("crash")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Small chunks: many commits, so there are many points at which to interrupt a batch.
        let base = ["CREDITHUB_DATA_DIRECTORY": directory + "/data", "CREDITHUB_INGEST_CHUNK_ROWS": "25", "CREDITHUB_LOG_LEVEL": "warning"]
        switch backend {
        case .sqlite:
            var environment = base
            environment["CREDITHUB_DATABASE_URL"] = ""
            let store = try SQLiteStore(path: directory + "/data/credithub.sqlite")
            try await body(environment, store, directory)
        case .postgres:
            try await TestStores.withPostgresDatabase { url in
                let environment = base.merging(["CREDITHUB_DATABASE_URL": url]) { _, new in new }
                let store = PostgresStore(configuration: try PostgresStore.configuration(url: url), logger: TestStores.logger)
                try await store.withRunning { store in try await body(environment, store, directory) }
            }
        }
    }

    /// Waits until `condition` holds for the only batch, polling the store.
    static func waitForBatch(_ store: any CreditStore, timeout: Duration = .seconds(120), _ condition: (StoredBatch) -> Bool) async throws -> StoredBatch {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await store.schemaVersion()) == store.latestSchemaVersion,
                let batch = try await store.collection.batches(sourceUnit: nil, limit: 1).first, condition(batch)
            {
                return batch
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("the batch did not reach the expected state in time")
    }

    static func ingestArguments(_ file: String) -> [String] {
        ["ingest", "--resource", "admin_penalty", "--source-unit", PenaltyRows.submitter, file]
    }

    /// Starts `credithub ingest` of `file` logging at debug level into a bounded pipe, for `interrupt`.
    static func startHeldBackIngest(of file: String, environment: [String: String]) throws -> ChildProcess {
        let debug = environment.merging(["CREDITHUB_LOG_LEVEL": "debug"]) { _, new in new }
        return try ChildProcess(try ChildProcess.credithub, ingestArguments(file), environment: debug, boundedErrorOutput: true)
    }

    /// Lets `child` run only as far as its debug log allows and looks at the batch while the child
    /// is stopped (SIGSTOP), so that it is killed exactly in the state `condition` saw.
    ///
    /// The child logs two lines per committed chunk into a pipe of one page that is emptied only
    /// here, so between two looks it can commit at most a page of log lines' worth of chunks
    /// (about 15 of the 320): however busy the machine and however late this task runs, the batch
    /// cannot finish unseen.
    static func interrupt(_ child: ChildProcess, _ store: any CreditStore, when condition: (StoredBatch) -> Bool) async throws -> StoredBatch {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            child.signal(SIGSTOP)
            if (try? await store.schemaVersion()) == store.latestSchemaVersion, let batch = try await store.collection.batches(sourceUnit: nil, limit: 1).first {
                guard batch.status != .completed else { throw TestSupportError("the batch finished although its log was held back: \(child.errorOutput)") }
                if condition(batch) {
                    child.signal(SIGKILL)
                    #expect(await child.wait() == 128 + SIGKILL)
                    return batch
                }
            }
            child.signal(SIGCONT)
            if child.drainErrorOutput() == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        throw TestSupportError("the batch did not reach the state to interrupt in time")
    }

    static func receipt(_ output: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    @Test("kill -9 in the middle of a batch; running ingest again resumes it", arguments: StoreBackend.allCases)
    func resumeByIngestingAgain(backend: StoreBackend) async throws {
        try await Self.withEnvironment(backend) { environment, store, directory in
            let file = try Self.sampleFile(in: directory)
            let first = try Self.startHeldBackIngest(of: file, environment: environment)
            let interrupted = try await Self.interrupt(first, store) { $0.processedRows >= 200 }
            let atKill = try #require(try await store.collection.batch(id: interrupted.batch.id))
            #expect(atKill.status == .processing)
            #expect(atKill.processedRows < Self.rows, "killed too late to test anything")

            let second = try ChildProcess(try ChildProcess.credithub, Self.ingestArguments(file), environment: environment)
            #expect(await second.wait() == 0, "\(second.errorOutput)")
            let receipt = try Self.receipt(second.output)
            #expect(receipt["batch"] as? String == interrupted.batch.id)
            #expect(receipt["status"] as? String == "completed")
            let rows = try #require(receipt["rows"] as? [String: Int])
            #expect(rows["total"] == Self.rows)

            // The same as an uninterrupted run: validation of the file judges it identically.
            let expected = try await FileValidation.validate(path: file, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil)
            #expect(rows["accepted"] == expected.rows.accepted)
            #expect(rows["rejected"] == expected.rows.rejected)
            #expect(rows["duplicate"] == expected.rows.duplicate)
            #expect((receipt["problems"] as? [Any])?.count == expected.problems.count)
            // Every accepted row stored exactly once.
            let stored = try await store.collection.changes(after: 0, limit: 100_000, resourceIDs: nil, division: nil)
            #expect(stored.count == expected.rows.accepted)
            #expect(Set(stored.map(\.rowNumber)).count == stored.count)
        }
    }

    @Test("kill -9 right after acknowledgement; the server's worker finishes the batch on start", arguments: StoreBackend.allCases)
    func resumeOnServerStart(backend: StoreBackend) async throws {
        try await Self.withEnvironment(backend) { environment, store, directory in
            let file = try Self.sampleFile(in: directory)
            let ingest = try Self.startHeldBackIngest(of: file, environment: environment)
            let acknowledged = try await Self.interrupt(ingest, store) { _ in true }
            #expect((try await store.collection.batch(id: acknowledged.batch.id))?.status != .completed)

            let port = try TemporaryPostgresCluster.freePortForTests()
            let server = try ChildProcess(try ChildProcess.credithub, ["serve", "--port", String(port)], environment: environment)
            let finished = try await Self.waitForBatch(store) { $0.status == .completed }
            server.signal(SIGTERM)
            #expect(await server.wait() == 0, "graceful shutdown: \(server.errorOutput)")
            #expect(finished.batch.id == acknowledged.batch.id)
            #expect(finished.rows.total == Self.rows)
            #expect(try await store.collection.changes(after: 0, limit: 100_000, resourceIDs: nil, division: nil).count == finished.rows.accepted)
        }
    }
}
