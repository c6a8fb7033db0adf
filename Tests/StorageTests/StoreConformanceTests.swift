import CreditHubTestSupport
import CreditKernel
import Crypto
import Foundation
import Logging
import Storage
import Testing

/// The behaviour every `CreditStore` must have, run against SQLite and PostgreSQL alike.
@Suite("Store conformance")
struct StoreConformanceTests {
    static let logger = TestStores.logger

    /// An empty penalty batch `id` from `sourceUnit`, for chunks committed directly.
    static func createBatch(_ id: String, sourceUnit: String, in collection: any CollectionRepository) async throws {
        _ = try await collection.createBatch(
            NewBatch(
                id: id, resourceID: "admin_penalty", resourceVersion: 1, sourceUnit: sourceUnit, channel: .commandLine, sha256: id, size: 1,
                fileName: nil, format: .csv, declaredEncoding: nil, idempotencyKey: nil, submittedBy: "test", receivedAt: Date()
            )
        )
    }

    @Test("Migration creates the schema once and is idempotent", arguments: StoreBackend.allCases)
    func migration(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend, migrate: false) { store in
            #expect(try await store.schemaVersion() == 0)
            let first = try await store.migrate()
            #expect(first.fromVersion == 0)
            #expect(first.toVersion == store.latestSchemaVersion)
            #expect(first.applied.count == store.latestSchemaVersion)
            let second = try await store.migrate()
            #expect(second.applied.isEmpty)
            #expect(second.fromVersion == store.latestSchemaVersion)
            #expect(try await store.schemaVersion() == store.latestSchemaVersion)
            try await store.ping()
        }
    }

    @Test("Records and conflicts stored under the former key hashes are found under the new ones after migration", arguments: StoreBackend.allCases)
    func recordKeysRecomputed(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store, database in
            let collection = store.collection
            let unit = "11330100002501984R", otherUnit = "11330300002502013W"
            try await Self.createBatch("A", sourceUnit: unit, in: collection)
            // As stored before: the first 16 bytes of SHA-256 of the resource's prefix and the key.
            func formerKey(_ businessKey: String) -> Digest128 {
                SHA256.hash(data: Array(("admin_penalty\u{1F}" + businessKey).utf8)).withUnsafeBytes(Digest128.init(prefixOf:))
            }
            // More records than the rewrite reads at a time.
            let count = 60_001
            let businessKeys = (0..<count).map { "杭市监罚〔2024〕\($0)号\u{1F}91330100511650734P" }
            let versions = businessKeys.enumerated().map { index, businessKey in
                RecordVersion(
                    sequence: 0, resourceID: "admin_penalty", keyHash: formerKey(businessKey), businessKey: businessKey, version: 1, operation: .create,
                    subjectCode: "91330100511650734P", subjectType: nil, subjectName: "subject", division: "330100", sourceUnit: unit, batchID: "A",
                    rowNumber: index + 1, contentHash: Digest128(high: 1, low: UInt64(index)), json: Array("{}".utf8), recordedAt: Date(), supersedes: nil
                )
            }
            var incoming = versions[7]
            incoming.sourceUnit = otherUnit
            incoming.contentHash = Digest128(high: 2, low: 7)
            let conflict = ConflictRecord(
                id: "C1", resourceID: "admin_penalty", keyHash: formerKey(businessKeys[7]), businessKey: businessKeys[7], storedSequence: 8, storedVersion: 1,
                storedSourceUnit: unit, storedBatchID: "A", storedRowNumber: 8, incoming: incoming, status: .open, createdAt: Date(), resolvedBy: nil,
                resolvedAt: nil, reason: nil
            )
            _ = try await collection.commitChunk(
                ChunkCommit(
                    batchID: "A", processedRowsBefore: 0, processedRowsAfter: count, counts: RowCounts(total: count, accepted: count), tally: QualityTally(),
                    observedHead: 0, keyHashes: versions.map(\.keyHash), versions: versions, conflicts: [conflict], problems: []
                )
            )
            try await database.execute(["DELETE FROM schema_migrations WHERE name LIKE '%_record_key_order'"])
            let outcome = try await store.migrate()
            #expect(outcome.applied.count == 1)
            #expect(outcome.applied.first?.hasSuffix("_record_key_order") == true)

            let newKeys = businessKeys.map { Digest128.businessKey(resourceID: "admin_penalty", businessKey: $0) }
            let (current, _) = try await collection.currentRecords(keyHashes: newKeys)
            #expect(current.count == count)
            #expect(current[newKeys[count - 1]]?.rowNumber == count)
            #expect(try await collection.currentRecords(keyHashes: versions.prefix(100).map(\.keyHash)).records.isEmpty)
            let history = try await collection.recordHistory(resourceID: "admin_penalty", businessKey: businessKeys[12_345])
            #expect(history.map(\.rowNumber) == [12_346])
            #expect(history.first?.keyHash == newKeys[12_345])
            let open = try await collection.openConflicts(keyHashes: [newKeys[7]])
            #expect(open == [ConflictIdentity(keyHash: newKeys[7], incomingSource: otherUnit, incomingContentHash: incoming.contentHash): "C1"])
        }
    }

    @Test("Concurrent migrations from several processes apply each step once", arguments: StoreBackend.allCases)
    func concurrentMigration(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend, migrate: false) { store in
            let outcomes = try await withThrowingTaskGroup(of: MigrationOutcome.self) { group in
                for _ in 0..<4 { group.addTask { try await store.migrate() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.map(\.applied.count).reduce(0, +) == store.latestSchemaVersion)
            #expect(try await store.schemaVersion() == store.latestSchemaVersion)
        }
    }

    @Test("A PostgreSQL database not in UTF8 is refused before any table is made, naming the fix")
    func databaseEncoding() async throws {
        try await TestStores.withStore(.postgres, migrate: false, postgresOptions: "ENCODING 'EUC_CN' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0") { store, _ in
            do {
                _ = try await store.migrate()
                Issue.record("a database in EUC_CN was migrated")
            } catch let error as CreditHubError {
                #expect(error.code == "database_encoding")
                #expect(error.message.contains("EUC_CN") && error.message.contains("ENCODING 'UTF8'"))
            }
            #expect(try await store.schemaVersion() == 0)
        }
    }

    @Test("Without automatic migration an out-of-date schema is an error that names the fix", arguments: StoreBackend.allCases)
    func preparationWithoutMigration(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend, migrate: false) { store in
            do {
                try await store.prepare(automaticMigration: false, logger: Self.logger)
                Issue.record("prepare succeeded on an empty schema")
            } catch let error as CreditHubError {
                #expect(error.code == "schema_out_of_date")
                #expect(error.message.contains("credithub migrate"))
            }
        }
    }

    @Test("Preparing an empty store loads the default catalogue once", arguments: StoreBackend.allCases)
    func preparationLoadsCatalogue(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend, migrate: false) { store in
            try await store.prepare(automaticMigration: true, logger: Self.logger)
            #expect(try await store.catalogue.isEmpty() == false)
            let resources = try await store.catalogue.currentResources()
            #expect(resources.map(\.resource.id) == Catalogue.standard.resources.map(\.id).sorted())
            #expect(resources.allSatisfy { $0.version == 1 && $0.importedBy == "system" })
            try await store.prepare(automaticMigration: false, logger: Self.logger)
            #expect(try await store.catalogue.currentResources().allSatisfy { $0.version == 1 })
        }
    }

    @Test("Catalogue imports create, version and leave unchanged definitions alone", arguments: StoreBackend.allCases)
    func catalogueVersions(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store in
            let repository = store.catalogue
            #expect(try await repository.isEmpty())
            #expect(try await repository.resource(id: "admin_penalty") == nil)
            #expect(try await repository.history(resourceID: "admin_penalty").isEmpty)

            var penalty = try #require(Catalogue.standard.resource("admin_penalty"))
            let license = try #require(Catalogue.standard.resource("admin_license"))
            let t0 = Date(timeIntervalSince1970: 1_700_000_000)
            let first = try await repository.importResources([penalty, license], importedBy: "alice", at: t0)
            #expect(first == [
                CatalogueImportOutcome(resourceID: "admin_penalty", version: 1, change: .created),
                CatalogueImportOutcome(resourceID: "admin_license", version: 1, change: .created),
            ])
            #expect(try await repository.isEmpty() == false)

            let again = try await repository.importResources([penalty], importedBy: "bob", at: t0.addingTimeInterval(60))
            #expect(again == [CatalogueImportOutcome(resourceID: "admin_penalty", version: 1, change: .unchanged)])

            penalty.shareType = .conditional
            penalty.perBatchApproval = true
            let t2 = t0.addingTimeInterval(120)
            let changed = try await repository.importResources([penalty], importedBy: "carol", at: t2)
            #expect(changed == [CatalogueImportOutcome(resourceID: "admin_penalty", version: 2, change: .updated)])

            let current = try #require(try await repository.resource(id: "admin_penalty"))
            #expect(current.version == 2)
            #expect(current.resource == penalty)
            #expect(current.digest == penalty.contentDigest)
            #expect(current.importedBy == "carol")
            #expect(abs(current.importedAt.timeIntervalSince(t2)) < 0.001)

            let history = try await repository.history(resourceID: "admin_penalty")
            #expect(history.map(\.version) == [1, 2])
            #expect(history.first?.resource.shareType == .unconditional)
            #expect(history.first?.importedBy == "alice")

            let all = try await repository.currentResources()
            #expect(all.map(\.resource.id) == ["admin_license", "admin_penalty"])
            #expect(all.map(\.version) == [1, 2])
        }
    }

    @Test("Concurrent imports of the same change produce one new version", arguments: StoreBackend.allCases)
    func concurrentImports(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store in
            let penalty = try #require(Catalogue.standard.resource("admin_penalty"))
            let outcomes = try await withThrowingTaskGroup(of: [CatalogueImportOutcome].self) { group in
                for index in 0..<4 {
                    group.addTask { try await store.catalogue.importResources([penalty], importedBy: "u\(index)", at: Date()) }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(outcomes.filter { $0.change == .created }.count == 1)
            #expect(try await store.catalogue.history(resourceID: "admin_penalty").count == 1)
        }
    }

    @Test("A chunk is stale when another writer changed its records after its lookup, wherever its own previous chunk lies", arguments: StoreBackend.allCases)
    func staleChunks(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store in
            let collection = store.collection
            let unitA = "11330100002501984R", unitB = "11330300002502013W"
            for (id, unit) in [("A", unitA), ("B", unitB)] {
                try await Self.createBatch(id, sourceUnit: unit, in: collection)
            }
            func key(_ name: String) -> Digest128 { Digest128(bytes: Array(name.utf8) + Array(repeating: 0, count: 16)) }
            var processed = ["A": 0, "B": 0]
            func commit(
                _ batch: String, writing names: [String], checking checked: [String] = [], head: Int64 = 0, previous: ClosedRange<Int64>? = nil
            ) async throws -> ClosedRange<Int64>? {
                let versions = names.enumerated().map { index, name in
                    RecordVersion(
                        sequence: 0, resourceID: "admin_penalty", keyHash: key(name), businessKey: name, version: 1, operation: .create,
                        subjectCode: "91330100511650734P", subjectType: nil, subjectName: "subject", division: "330100",
                        sourceUnit: batch == "A" ? unitA : unitB, batchID: batch, rowNumber: index + 1, contentHash: key(name + "content"),
                        json: Array("{}".utf8), recordedAt: Date(), supersedes: nil
                    )
                }
                let before = processed[batch]!
                let positions = try await collection.commitChunk(
                    ChunkCommit(
                        batchID: batch, processedRowsBefore: before, processedRowsAfter: before + names.count,
                        counts: RowCounts(total: names.count, accepted: names.count), tally: QualityTally(), observedHead: head,
                        previousChunkPositions: previous, keyHashes: (names + checked).map(key), versions: versions, conflicts: [], problems: []
                    )
                )
                processed[batch] = before + names.count
                return positions
            }
            let (_, head) = try await collection.currentRecords(keyHashes: [key("b1")])
            _ = try await commit("B", writing: ["b1"], head: head)
            let previous = try #require(try await commit("A", writing: ["a1", "a2"], head: head))
            #expect(previous.count == 2)
            _ = try await commit("B", writing: ["b2"], head: head)

            // B wrote before and after A's previous chunk; A's chunk looked up at `head` must see both.
            for changed in ["b1", "b2"] {
                await #expect(throws: StaleChunkError.self) {
                    try await commit("A", writing: ["a3"], checking: [changed], head: head, previous: previous)
                }
            }
            let positions = try #require(try await commit("A", writing: ["a3"], checking: ["a1", "a2"], head: head, previous: previous))
            #expect(positions.lowerBound > previous.upperBound)
            // Looked up after B's second write: nothing is stale any more.
            let (_, later) = try await collection.currentRecords(keyHashes: [key("b2")])
            _ = try await commit("A", writing: ["a4"], checking: ["b1", "b2"], head: later, previous: positions)
        }
    }

    @Test("Lookups of more keys than one statement takes find each key's latest version and open conflicts, whatever the keys' order", arguments: StoreBackend.allCases)
    func lookupsAcrossGroups(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store in
            let collection = store.collection
            let unit = "11330100002501984R", otherUnit = "11330300002502013W"
            try await Self.createBatch("A", sourceUnit: unit, in: collection)
            // Keys spread over the whole key space, as hashes are.
            func key(_ index: Int) -> Digest128 { Digest128(high: UInt64(index) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(index)) }
            func version(_ index: Int, _ number: Int, row: Int, supersedes: Int64? = nil, source: String = unit) -> RecordVersion {
                RecordVersion(
                    sequence: 0, resourceID: "admin_penalty", keyHash: key(index), businessKey: "K\(index)", version: number, operation: number == 1 ? .create : .update,
                    subjectCode: "91330100511650734P", subjectType: nil, subjectName: "subject", division: "330100", sourceUnit: source, batchID: "A",
                    rowNumber: row, contentHash: Digest128(high: UInt64(number), low: UInt64(index)), json: Array("{}".utf8), recordedAt: Date(), supersedes: supersedes
                )
            }
            let stored = 1_234
            let first = (0..<stored).map { version($0, 1, row: $0 + 1) }
            let firstPositions = try #require(
                try await collection.commitChunk(
                    ChunkCommit(
                        batchID: "A", processedRowsBefore: 0, processedRowsAfter: stored, counts: RowCounts(total: stored, accepted: stored), tally: QualityTally(),
                        observedHead: 0, keyHashes: first.map(\.keyHash), versions: first, conflicts: [], problems: []
                    )
                )
            )
            let changed = Array(stride(from: 0, to: stored, by: 3))
            let second = changed.map { version($0, 2, row: stored + $0 + 1, supersedes: firstPositions.lowerBound + Int64($0)) }
            let conflicted = Array(stride(from: 1, to: stored, by: 7))
            let conflicts = conflicted.map { index in
                ConflictRecord(
                    id: "C\(index)", resourceID: "admin_penalty", keyHash: key(index), businessKey: "K\(index)", storedSequence: firstPositions.lowerBound + Int64(index),
                    storedVersion: 1, storedSourceUnit: unit, storedBatchID: "A", storedRowNumber: index + 1, incoming: version(index, 1, row: 0, source: otherUnit),
                    status: .open, createdAt: Date(), resolvedBy: nil, resolvedAt: nil, reason: nil
                )
            }
            let secondPositions = try #require(
                try await collection.commitChunk(
                    ChunkCommit(
                        batchID: "A", processedRowsBefore: stored, processedRowsAfter: 2 * stored, counts: RowCounts(total: stored, accepted: second.count),
                        tally: QualityTally(), observedHead: firstPositions.upperBound, previousChunkPositions: firstPositions,
                        keyHashes: second.map(\.keyHash), versions: second, conflicts: conflicts, problems: []
                    )
                )
            )
            // Every stored key, some twice, and keys never stored, in no particular order.
            let asked = ((0..<stored).map(key) + changed.prefix(50).map(key) + (stored..<(stored + 199)).map(key)).shuffled()
            let (current, head) = try await collection.currentRecords(keyHashes: asked)
            #expect(head == secondPositions.upperBound)
            #expect(current.count == stored)
            for index in 0..<stored {
                let record = try #require(current[key(index)])
                if index % 3 == 0 {
                    #expect(record.version == 2)
                    #expect(record.sequence == secondPositions.lowerBound + Int64(index / 3))
                    #expect(record.rowNumber == stored + index + 1)
                } else {
                    #expect(record.version == 1)
                    #expect(record.sequence == firstPositions.lowerBound + Int64(index))
                    #expect(record.rowNumber == index + 1)
                }
                #expect(record.contentHash == Digest128(high: UInt64(record.version), low: UInt64(index)))
            }
            let open = try await collection.openConflicts(keyHashes: asked)
            #expect(open.count == conflicted.count)
            for index in conflicted {
                let identity = ConflictIdentity(keyHash: key(index), incomingSource: otherUnit, incomingContentHash: Digest128(high: 1, low: UInt64(index)))
                #expect(open[identity] == "C\(index)")
            }
        }
    }
}
