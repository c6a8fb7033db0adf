import CreditHubTestSupport
import CreditKernel
import Foundation
import Logging
import Security
import Storage
import Testing

/// The audit log on both stores: group commit, append-only enforcement in the database, tamper
/// detection by `audit verify`, signed export bundles and retention purges.
@Suite("Audit log")
struct AuditLogTests {
    static let seed = Data((0..<64).map { UInt8($0) })
    static let keys: NodeKeys = try! NodeKeys(seed: seed)

    static func verify(_ store: any CreditStore) async throws -> AuditVerifier.Report {
        try await AuditVerifier.verify(store, trustedKeys: [keys.publicKeyHex])
    }

    static func record(_ number: Int, at time: Date = Date(), retentionYears: Int = 3) -> AuditRecord {
        AuditRecord(
            at: time, actor: AuditActor(kind: .person, id: "clerk\(number % 3)", unit: PenaltyRows.submitter), sourceIP: "10.0.0.\(number % 250)",
            action: "submission.receive", target: "B\(number)", details: ["rows": String(number)], retentionYears: retentionYears
        )
    }

    /// A log of `count` entries with a checkpoint every 10.
    static func fill(_ store: any CreditStore, count: Int = 40) async throws {
        let log = AuditLog(store: store, keys: keys, logger: TestStores.logger, checkpointEvery: 10)
        for number in 1...count { try await log.record(record(number)) }
    }

    /// `credithub audit verify` against the store's database: exit status and what it printed.
    static func verifyCommand(_ database: DirectDatabase) async throws -> (Int32, String) {
        let process: ChildProcess
        let key = ["CREDITHUB_SECURITY_NODE_KEY": seed.base64EncodedString()]
        switch database {
        case .sqlite(let path):
            process = try ChildProcess(
                try ChildProcess.credithub, ["audit", "verify", "--data-dir", (path as NSString).deletingLastPathComponent, "--log-level", "error"], environment: key
            )
        case .postgres(let url):
            process = try ChildProcess(
                try ChildProcess.credithub, ["audit", "verify", "--log-level", "error"], environment: key.merging(["CREDITHUB_DATABASE_URL": url]) { $1 }
            )
        }
        let status = await process.wait()
        return (status, process.output + process.errorOutput)
    }

    /// Runs statements around the triggers, as an administrator with the file or a superuser login could.
    static func bypassingTriggers(_ database: DirectDatabase, _ statements: [String]) async throws {
        switch database {
        case .sqlite:
            try await database.execute(["DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete"] + statements)
        case .postgres:
            try await database.execute(["SET session_replication_role = replica"] + statements)
        }
    }

    @Test("Concurrent records are grouped; every caller resumes with its entry stored", arguments: StoreBackend.allCases)
    func groupCommit(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store in
            let log = AuditLog(store: store, keys: Self.keys, logger: TestStores.logger, checkpointEvery: 50)
            let sequences = try await withThrowingTaskGroup(of: Int64.self) { group in
                for number in 1...300 {
                    group.addTask {
                        let entry = try await log.append(Self.record(number))
                        // Durable before the caller goes on: it can be read back at once.
                        let stored = try await store.audit.entries(from: entry.sequence, limit: 1)
                        #expect(stored.first?.hash == entry.hash)
                        return entry.sequence
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(Set(sequences) == Set(1...300))
            let report = try await Self.verify(store)
            #expect(report.isIntact)
            #expect(report.entriesChecked == 300)
            // Checkpoints fall at the end of a group write, so grouped writes mean fewer than 300 / 50.
            #expect(report.checkpointsChecked >= 1)
        }
    }

    @Test("The application's connection cannot change or delete audit rows", arguments: StoreBackend.allCases)
    func appendOnly(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store, database in
            try await Self.fill(store, count: 12)
            let attempts = [
                "UPDATE audit_entries SET details = '{}' WHERE seq = 3",
                "DELETE FROM audit_entries WHERE seq = 3",
                "UPDATE audit_checkpoints SET hash = 'x'",
                "DELETE FROM audit_checkpoints",
            ] + (backend == .postgres ? ["TRUNCATE audit_entries"] : [])
            for statement in attempts {
                await #expect(throws: (any Error).self, "\(statement) must be refused") { try await database.execute([statement]) }
            }
            #expect(try await Self.verify(store).isIntact)
        }
    }

    @Test("On PostgreSQL a role with the documented grants cannot change audit rows even without the triggers")
    func postgresGrants() async throws {
        try await TestStores.withStore(.postgres) { store, database in
            try await Self.fill(store, count: 3)
            let role = "app_\(UUID().uuidString.prefix(8).lowercased())"
            // docs/operations.md: the server's role may read and append, nothing more.
            try await database.execute([
                "CREATE ROLE \(role) LOGIN PASSWORD 'app-password'",
                "GRANT SELECT, INSERT ON audit_entries, audit_checkpoints TO \(role)",
            ])
            let app = database.asRole(role, password: "app-password")
            try await app.execute(["SELECT count(*) FROM audit_entries"])
            await #expect(throws: (any Error).self) { try await app.execute(["UPDATE audit_entries SET details = '{}' WHERE seq = 1"]) }
            await #expect(throws: (any Error).self) { try await app.execute(["DELETE FROM audit_entries WHERE seq = 1"]) }
            try await database.execute(["DROP OWNED BY \(role)", "DROP ROLE \(role)"])
        }
    }

    @Test("Changing one entry's details directly in the database is named by verify", arguments: StoreBackend.allCases)
    func tamperedEntry(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store, database in
            try await Self.fill(store)
            #expect(try await Self.verify(store).isIntact)
            #expect(try await Self.verifyCommand(database).0 == 0)
            try await Self.bypassingTriggers(database, [#"UPDATE audit_entries SET details = '{"rows":"0"}' WHERE seq = 17"#])
            let report = try await Self.verify(store)
            #expect(report.problemSequence == 17)
            #expect(report.problem?.contains("entry 17 was altered") == true)
            #expect(report.entriesChecked == 16)
            let (status, output) = try await Self.verifyCommand(database)
            #expect(status == 1)
            #expect(output.contains("BROKEN at entry 17"), "\(output)")
        }
    }

    @Test("Deleting one entry is named as a gap", arguments: StoreBackend.allCases)
    func deletedEntry(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store, database in
            try await Self.fill(store)
            try await Self.bypassingTriggers(database, ["DELETE FROM audit_entries WHERE seq = 23"])
            let report = try await Self.verify(store)
            #expect(report.problemSequence == 23)
            #expect(report.problem?.contains("entry 23 is missing") == true)
            let (status, output) = try await Self.verifyCommand(database)
            #expect(status == 1)
            #expect(output.contains("entry 23 is missing"), "\(output)")
        }
    }

    @Test("Cutting the log short after a checkpoint is detected", arguments: StoreBackend.allCases)
    func truncatedTail(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store, database in
            try await Self.fill(store)
            try await Self.bypassingTriggers(database, ["DELETE FROM audit_entries WHERE seq > 35"])
            let report = try await Self.verify(store)
            #expect(report.problemSequence == 40)
            #expect(report.problem?.contains("cut short") == true)
        }
    }

    @Test("An exported bundle verifies on its own; any change to it is caught", arguments: StoreBackend.allCases)
    func bundle(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store in
            let start = Date(timeIntervalSince1970: 1_790_000_000)
            let log = AuditLog(store: store, keys: Self.keys, logger: TestStores.logger, checkpointEvery: 10)
            for number in 1...30 { try await log.record(Self.record(number, at: start.addingTimeInterval(Double(number) * 60))) }
            let bundle = try await AuditBundle.export(store, keys: Self.keys, fromTime: start.addingTimeInterval(5 * 60), toTime: start.addingTimeInterval(25 * 60))
            #expect(bundle.entries.map(\.sequence) == Array(5...24))
            #expect(bundle.checkpoints.map(\.sequence) == [10, 20])
            #expect(bundle.verify() == nil)

            // Through JSON, as `credithub audit export` writes it.
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .millisecondsSince1970
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            let copy = try decoder.decode(AuditBundle.self, from: try encoder.encode(bundle))
            #expect(copy.verify() == nil)

            #expect(bundle.verify(trustedKeys: [Self.keys.publicKeyHex]) == nil)
            let stranger = try NodeKeys(seed: Data(repeating: 9, count: 64))
            #expect(bundle.verify(trustedKeys: [stranger.publicKeyHex])?.contains("not by a trusted key") == true)
            // Re-signed by someone else's key after a change: intact on its own terms, refused against the node's key.
            var resigned = bundle
            resigned.entries.removeLast()
            resigned.checkpoints = []
            resigned.publicKey = stranger.publicKeyHex
            resigned.signature = try stranger.sign(resigned.digest)
            #expect(resigned.verify() == nil)
            #expect(resigned.verify(trustedKeys: [Self.keys.publicKeyHex]) != nil)

            var altered = bundle
            altered.entries[3].target = "B999"
            #expect(altered.verify() != nil)
            var shortened = bundle
            shortened.entries.remove(at: 7)
            #expect(shortened.verify() != nil)
        }
    }

    @Test("`audit export` writes a bundle that `audit verify-bundle` accepts against the node key, and refuses once edited")
    func exportCommand() async throws {
        try await TestStores.withStore(.sqlite) { store, database in
            try await Self.fill(store, count: 25)
            guard case .sqlite(let path) = database else { return }
            let directory = (path as NSString).deletingLastPathComponent
            let bundle = (directory as NSString).appendingPathComponent("bundle.json")
            let key = ["CREDITHUB_SECURITY_NODE_KEY": Self.seed.base64EncodedString()]
            let export = try ChildProcess(try ChildProcess.credithub, ["audit", "export", "--data-dir", directory, "--log-level", "error", "-o", bundle], environment: key)
            #expect(await export.wait() == 0, "\(export.errorOutput)")
            let check = try ChildProcess(try ChildProcess.credithub, ["audit", "verify-bundle", bundle, "--public-key", Self.keys.publicKeyHex])
            #expect(await check.wait() == 0)
            #expect(check.output.contains("bundle intact: 25 entries"), "\(check.output)")
            let text = try String(contentsOfFile: bundle, encoding: .utf8)
            try text.replacingOccurrences(of: "\"B7\"", with: "\"B8\"").write(toFile: bundle, atomically: true, encoding: .utf8)
            let edited = try ChildProcess(try ChildProcess.credithub, ["audit", "verify-bundle", bundle])
            #expect(await edited.wait() == 1)
            #expect(edited.output.contains("BROKEN"), "\(edited.output)")
        }
    }

    @Test("Retention purges whole expired segments and leaves a signed marker; the rest still verifies", arguments: StoreBackend.allCases)
    func retention(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store, database in
            let now = Date()
            let old = Calendar(identifier: .gregorian).date(byAdding: .year, value: -3, to: now)!
            let log = AuditLog(store: store, keys: Self.keys, logger: TestStores.logger, checkpointEvery: 10)
            // 25 two-year entries from three years ago, then current ones.
            for number in 1...25 { try await log.record(Self.record(number, at: old, retentionYears: 2)) }
            for number in 26...40 { try await log.record(Self.record(number, at: now)) }
            let marker = try #require(try await AuditRetention.purge(store, keys: Self.keys, now: now))
            // Entries 21–25 have expired too, but their segment runs to 30, which has not.
            #expect(marker.throughSequence == 20)
            let report = try await Self.verify(store)
            #expect(report.isIntact)
            #expect(report.firstSequence == 21)
            #expect(report.entriesChecked == 20)
            #expect(try await AuditRetention.purge(store, keys: Self.keys, now: now) == nil)
            // Kept entries are still protected.
            await #expect(throws: (any Error).self) { try await database.execute(["DELETE FROM audit_entries WHERE seq = 21"]) }
            await #expect(throws: (any Error).self) { try await database.execute(["DELETE FROM audit_purges"]) }
            await #expect(throws: (any Error).self) { try await database.execute(["UPDATE audit_purges SET through_seq = 30"]) }
            // Someone with database access but not the node key purges more: the marker's key gives it away.
            let forger = try NodeKeys(seed: Data(repeating: 7, count: 64))
            let forged = try #require(try await AuditRetention.purge(store, keys: forger, now: Calendar(identifier: .gregorian).date(byAdding: .year, value: 10, to: now)!))
            let after = try await Self.verify(store)
            #expect(after.problemSequence == forged.throughSequence)
            #expect(after.problem?.contains("does not trust") == true)
        }
    }
}
