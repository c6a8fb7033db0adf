import CreditHubTestSupport
import CreditKernel
import Foundation
import Governance
import Ingestion
import Logging
import SampleData
import Storage
import Testing

/// The pipeline end to end, on both stores.
@Suite("Collection pipeline")
struct PipelineTests {
    /// A collector over a fresh store and raw directory.
    static func withCollector(
        _ backend: StoreBackend, chunkRows: Int = 5000, maximumProblemRows: Int = IngestionConfiguration.defaultMaximumProblemRows,
        _ body: @Sendable (Collector) async throws -> Void
    ) async throws {
        try await TestStores.withStore(backend) { store in
            try await store.prepare(automaticMigration: true, logger: TestStores.logger)
            let raw = Scratch.path("raw")
            defer { try? FileManager.default.removeItem(atPath: raw) }
            let configuration = IngestionConfiguration(chunkRows: chunkRows, maximumProblemRows: maximumProblemRows)
            try await body(Collector(store: store, raw: RawStore(directory: raw), configuration: configuration, logger: TestStores.logger))
        }
    }

    static func ingest(
        _ collector: Collector, _ bytes: [UInt8], unit: String = PenaltyRows.submitter, resource: String = "admin_penalty",
        fileName: String = "处罚.csv", format: ArtefactFormat? = nil
    ) async throws -> Receipt {
        let acknowledgement = try await collector.submit(
            Submission(sourceUnit: unit, resourceID: resource, channel: .interface, artefact: .bytes(Data(bytes)), fileName: fileName, format: format, submittedBy: "test")
        )
        try await collector.process(batchID: acknowledgement.batch)
        return try #require(try await collector.receipt(batch: acknowledgement.batch))
    }

    @Test("A GB18030 file with an instruction row, multi-line cells and defects gets an exact receipt", arguments: StoreBackend.allCases)
    func receipt(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 2) { collector in
            let rows = [
                PenaltyRows.record(1),
                PenaltyRows.record(2, ["CF_XDR_SHXYM": "91330100716105852E"]),
                PenaltyRows.record(3, ["CF_JDRQ": "2023年5月6日", "CF_SY": "第一行\n第二行，含\"引号\""]),
                PenaltyRows.record(1),
                PenaltyRows.record(5, ["CF_NR_FK": "-1"]),
            ]
            let receipt = try await Self.ingest(collector, SampleCodes.gb18030(PenaltyRows.csv(rows, instructionRow: true)))
            #expect(receipt.status == .completed)
            #expect(receipt.encoding == .gb18030)
            #expect(receipt.rows == RowCounts(total: 5, accepted: 2, fixed: 1, rejected: 2, duplicate: 1, conflict: 0))
            #expect(receipt.problems.map(\.row) == [2, 3, 4, 5])
            #expect(receipt.problems.map(\.status) == [.rejected, .fixed, .duplicate, .rejected])
            #expect(receipt.problems[0].issues.map(\.code) == [.checksum])
            #expect(receipt.problems[3].issues.map(\.code) == [.negativeAmount])
            let quality = try #require(receipt.quality)
            #expect(quality.uniqueness == 0.8)
            #expect(quality.validity == 0.6)
            #expect(quality.completeness == 1)

            let json = String(decoding: try JSONEncoder().encode(receipt), as: UTF8.self)
            for key in ["\"batch\"", "\"resource\":\"admin_penalty\"", "\"encoding\":\"gb18030\"", "\"status\":\"completed\"", "\"message_en\""] {
                #expect(json.contains(key))
            }
        }
    }

    @Test("Identical bytes again return the existing batch; an idempotency key does too", arguments: StoreBackend.allCases)
    func resubmission(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let bytes = Array(PenaltyRows.csv([PenaltyRows.record(1)]).utf8)
            let first = try await collector.submit(Submission(sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data(bytes)), submittedBy: "t"))
            let second = try await collector.submit(Submission(sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data(bytes)), submittedBy: "t"))
            #expect(first.batch == second.batch)
            #expect(!first.existing && second.existing)
            let other = try await collector.submit(Submission(sourceUnit: PenaltyRows.dataBureau, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data(bytes)), submittedBy: "t"))
            #expect(other.batch != first.batch, "another unit's identical file is its own batch")
            let keyed = try await collector.submit(
                Submission(sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data("a".utf8)), idempotencyKey: "k-1", submittedBy: "t")
            )
            let retried = try await collector.submit(
                Submission(sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data("b".utf8)), idempotencyKey: "k-1", submittedBy: "t")
            )
            #expect(keyed.batch == retried.batch)
            #expect(FileManager.default.fileExists(atPath: collector.raw.path(sha256: first.sha256)))
        }
    }

    @Test("Duplicates, new versions and conflicts across batches and sources, and their resolution", arguments: StoreBackend.allCases)
    func oneDataOneSource(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let collection = collector.store.collection
            let original = PenaltyRows.record(1)
            let first = try await Self.ingest(collector, Array(PenaltyRows.csv([original, PenaltyRows.record(2)]).utf8))
            #expect(first.rows.accepted == 2)

            // The same record again from its source: a duplicate.
            let again = try await Self.ingest(collector, Array(PenaltyRows.csv([original, PenaltyRows.record(3)]).utf8))
            #expect(again.rows == RowCounts(total: 2, accepted: 1, duplicate: 1))

            // Its source corrects it: version 2.
            let corrected = PenaltyRows.record(1, ["CF_NR_FK": "0.3", "CF_NR": "罚款3000元"])
            let update = try await Self.ingest(collector, Array(PenaltyRows.csv([corrected]).utf8))
            #expect(update.rows.accepted == 1)
            let key = "杭市监罚〔2023〕1号\u{1F}\(PenaltyRows.company)"
            let history = try await collection.recordHistory(resourceID: "admin_penalty", businessKey: key)
            #expect(history.map(\.version) == [1, 2])
            #expect(history.map(\.operation) == [.create, .update])
            #expect(history[1].supersedes == history[0].sequence)
            #expect(history[1].data.contains(#""CF_NR_FK":"0.3""#))
            #expect(history[0].batchID == first.batch && history[0].rowNumber == 1)

            // Another data-source unit reports the same decision differently: a conflict.
            let disputed = PenaltyRows.record(1, ["CF_NR_FK": "0.5", "CF_NR": "罚款5000元", "CF_SJLYDM": PenaltyRows.otherBureau, "CF_SJLY": "区数据局"])
            let conflicting = try await Self.ingest(collector, Array(PenaltyRows.csv([disputed]).utf8), unit: PenaltyRows.otherBureau)
            #expect(conflicting.rows == RowCounts(total: 1, conflict: 1))
            let reference = try #require(conflicting.problems.first?.conflict)
            #expect(reference.storedBatch == update.batch)
            #expect(reference.storedSourceUnit == PenaltyRows.dataBureau)
            #expect(try await collection.recordHistory(resourceID: "admin_penalty", businessKey: key).count == 2, "the stored record stays")

            // Sent again, it is reported again but queued once.
            let repeated = try await Self.ingest(collector, Array((PenaltyRows.csv([disputed]) + "\r\n").utf8), unit: PenaltyRows.otherBureau)
            #expect(repeated.rows.conflict == 1)
            let open = try await collection.conflicts(status: .open, limit: 10)
            #expect(open.count == 1)
            #expect(open.first?.id == reference.id)
            #expect(open.first?.incoming.sourceUnit == PenaltyRows.otherBureau)

            // Platform staff choose the incoming side: it becomes version 3.
            let resolved = try await collection.resolveConflict(id: reference.id, keepIncoming: true, resolvedBy: "reviewer-1", reason: "核实后以区数据局为准", at: Date())
            #expect(resolved.status == .acceptedIncoming)
            let after = try await collection.recordHistory(resourceID: "admin_penalty", businessKey: key)
            #expect(after.map(\.version) == [1, 2, 3])
            #expect(after.last?.operation == .conflictResolution)
            #expect(after.last?.sourceUnit == PenaltyRows.otherBureau)
            await #expect(throws: CreditHubError.self) {
                _ = try await collection.resolveConflict(id: reference.id, keepIncoming: false, resolvedBy: "x", reason: "", at: Date())
            }

            // The subject theme follows the change feed and counts facts, not versions.
            #expect(try await collection.subjectSummary(subjectCode: PenaltyRows.company).isEmpty)
            // In steps smaller than the feed, each taking up where the last one ended.
            #expect(try await collection.projectSubjectTheme(limit: 2) == 2)
            #expect(try await collection.projectSubjectTheme(limit: 2) == 2)
            #expect(try await ThemeProjector.catchUp(collector.store) == 1)
            #expect(try await ThemeProjector.catchUp(collector.store) == 0)
            #expect(try await collection.subjectThemePosition() == (try await collection.changes(after: 0, limit: 100, resourceIDs: nil, division: nil)).last?.sequence)
            let theme = try await collection.subjectSummary(subjectCode: PenaltyRows.company)
            #expect(theme.count == 1)
            #expect(theme.first?.recordCount == 3)
            #expect(theme.first?.latestEventDate == "2023-05-06")
            #expect(theme.first?.subjectName == "杭州某某科技有限公司")
            #expect(theme.first?.subjectType == .legalPerson)
            // Later records add to the count; within one step the latest date is the greatest one
            // and the name the last record's.
            let renamed = ["CF_JDRQ": "2024/01/02", "CF_YXQ": "2025/01/02", "CF_XDR_MC": "杭州某某科技有限公司（更名中）"]
            let renamedAgain = ["CF_JDRQ": "2023/12/01", "CF_YXQ": "2024/12/01", "CF_XDR_MC": "杭州某某科技股份有限公司"]
            _ = try await Self.ingest(collector, Array(PenaltyRows.csv([PenaltyRows.record(8, renamed), PenaltyRows.record(9, renamedAgain)]).utf8))
            try await ThemeProjector.catchUp(collector.store)
            let later = try await collection.subjectSummary(subjectCode: PenaltyRows.company)
            #expect(later.first?.recordCount == 5)
            #expect(later.first?.latestEventDate == "2024-01-02")
            #expect(later.first?.subjectName == "杭州某某科技股份有限公司")

            // The change feed has every accepted change in order, filterable.
            let feed = try await collection.changes(after: 0, limit: 100, resourceIDs: nil, division: nil)
            #expect(feed.count == 7)
            #expect(feed.first?.eventDate == "2023-05-06")
            #expect(feed.map(\.sequence) == feed.map(\.sequence).sorted())
            #expect(try await collection.changes(after: feed[2].sequence, limit: 100, resourceIDs: ["admin_penalty"], division: "33").count == 4)
            #expect(try await collection.changes(after: 0, limit: 100, resourceIDs: ["admin_license"], division: nil).isEmpty)
            #expect(try await collection.changes(after: 0, limit: 100, resourceIDs: nil, division: "5101").isEmpty)

            // Keeping the stored side changes nothing.
            let other = PenaltyRows.record(2, ["CF_FRDB": "王五", "CF_SJLYDM": PenaltyRows.otherBureau])
            let second = try await Self.ingest(collector, Array(PenaltyRows.csv([other]).utf8), unit: PenaltyRows.otherBureau)
            let kept = try await collection.resolveConflict(id: try #require(second.problems.first?.conflict?.id), keepIncoming: false, resolvedBy: "reviewer-2", reason: "原记录无误", at: Date())
            #expect(kept.status == .keptStored)
            #expect(try await collection.conflicts(status: .open, limit: 10).isEmpty)
            #expect(try await collection.conflicts(status: nil, limit: 10).count == 2)
        }
    }

    @Test("A batch the database refuses is tried again after waits that double, and goes on once it is accepted", arguments: StoreBackend.allCases)
    func retriedWithBackoff(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store, database in
            try await store.prepare(automaticMigration: true, logger: TestStores.logger)
            let log = RecordingLog()
            let raw = Scratch.path("raw")
            defer { try? FileManager.default.removeItem(atPath: raw) }
            let configuration = IngestionConfiguration(rescanInterval: .milliseconds(50), maximumRetryInterval: .milliseconds(200))
            let collector = Collector(store: store, raw: RawStore(directory: raw), configuration: configuration, logger: log.logger)
            // What the database refuses, as it would refuse a full disk's writes.
            switch backend {
            case .sqlite:
                try await database.execute(["CREATE TRIGGER refuse_records BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"])
            case .postgres:
                try await database.execute([
                    "CREATE FUNCTION refuse_records() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$",
                    "CREATE TRIGGER refuse_records BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION refuse_records()",
                ])
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await IngestionWorker(collector: collector, logger: log.logger).run() }
                let batch = try await collector.submit(
                    Submission(
                        sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface,
                        artefact: .bytes(Data(PenaltyRows.csv([PenaltyRows.record(1)]).utf8)), fileName: "处罚.csv", submittedBy: "test"
                    )
                ).batch
                let failed = "batch processing failed; will retry"
                let deadline = ContinuousClock.now + .seconds(60)
                while log.metadata(of: failed).count < 5, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let failures = log.metadata(of: failed)
                #expect(failures.prefix(5).map { $0["retry_in"]?.description } == [50, 100, 200, 200, 200].map { "\(Duration.milliseconds($0))" })
                #expect(failures.allSatisfy { $0["after_row"]?.description == "0" })
                #expect(try await store.collection.batch(id: batch)?.status == .processing, "a refused batch is not failed")
                switch backend {
                case .sqlite: try await database.execute(["DROP TRIGGER refuse_records"])
                case .postgres: try await database.execute(["DROP TRIGGER refuse_records ON records"])
                }
                #expect(try await collector.waitForCompletion(batch: batch, timeout: .seconds(60))?.status == .completed)
                group.cancelAll()
            }
        }
    }

    @Test("The worker and the theme projector wait until the store is prepared, then work", arguments: StoreBackend.allCases)
    func servicesWaitForTheStore(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend, migrate: false) { store in
            let log = RecordingLog()
            let raw = Scratch.path("raw")
            defer { try? FileManager.default.removeItem(atPath: raw) }
            let collector = Collector(store: store, raw: RawStore(directory: raw), configuration: .init(rescanInterval: .milliseconds(20)), logger: log.logger)
            let storeReady = Latch()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await IngestionWorker(collector: collector, storeReady: storeReady, logger: log.logger).run() }
                group.addTask {
                    try await ThemeProjector(store: store, storeReady: storeReady, wakeUps: collector.commits.stream, interval: .milliseconds(20), logger: log.logger).run()
                }
                // Time for either to have read the unprepared store many times over, were it not waiting.
                try await Task.sleep(for: .milliseconds(300))
                try await store.prepare(automaticMigration: true, logger: TestStores.logger)
                storeReady.raise()
                let batch = try await collector.submit(
                    Submission(
                        sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface,
                        artefact: .bytes(Data(PenaltyRows.csv([PenaltyRows.record(1)]).utf8)), fileName: "处罚.csv", submittedBy: "test"
                    )
                ).batch
                #expect(try await collector.waitForCompletion(batch: batch, timeout: .seconds(60))?.status == .completed)
                while try await store.collection.subjectSummary(subjectCode: PenaltyRows.company).isEmpty {
                    try await Task.sleep(for: .milliseconds(20))
                }
                group.cancelAll()
            }
            #expect(log.messages(atLeast: .warning) == [])
        }
    }

    @Test("The theme projector follows the pipeline's commits and ends, caught up, when they end", arguments: StoreBackend.allCases)
    func projectorFollowsCommits(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 100) { collector in
            let projector = ThemeProjector(store: collector.store, wakeUps: collector.commits.stream, interval: .seconds(60), settle: .milliseconds(20), logger: TestStores.logger)
            let receipt = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await projector.run() }
                let receipt = try await Self.ingest(collector, Array(PenaltyRows.csv((1...1_500).map { PenaltyRows.record($0) }).utf8))
                collector.commits.continuation.finish()
                try await group.waitForAll()
                return receipt
            }
            #expect(receipt.rows.accepted == 1_500)
            let collection = collector.store.collection
            let feed = try await collection.changes(after: 0, limit: 2_000, resourceIDs: nil, division: nil)
            #expect(try await collection.subjectThemePosition() == feed.last?.sequence)
            #expect(try await collection.subjectSummary(subjectCode: PenaltyRows.company).first?.recordCount == 1_500)
            #expect(try await ThemeProjector.catchUp(collector.store) == 0)
        }
    }

    @Test("A projector pausing after a large catch-up stops as soon as the commits end", arguments: StoreBackend.allCases)
    func projectorStopsWithoutSettling(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let receipt = try await Self.ingest(collector, Array(PenaltyRows.csv((1...1_200).map { PenaltyRows.record($0) }).utf8))
            #expect(receipt.rows.accepted == 1_200)
            // The first catch-up applies all 1,200 records, so the projector then pauses; an hour,
            // were the end of the commits not to cut it short.
            let projector = ThemeProjector(store: collector.store, wakeUps: collector.commits.stream, interval: .seconds(3600), settle: .seconds(3600), logger: TestStores.logger)
            try await withTimeout(.seconds(300), "the projector's end") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await projector.run() }
                    while try await collector.store.collection.subjectThemePosition() == 0 { try await Task.sleep(for: .milliseconds(10)) }
                    collector.commits.continuation.finish()
                    try await group.waitForAll()
                }
            }
            #expect(try await collector.store.collection.subjectSummary(subjectCode: PenaltyRows.company).first?.recordCount == 1_200)
        }
    }

    @Test("The server's worker processes a small batch beside a large one, not behind it", arguments: StoreBackend.allCases)
    func smallBatchBesideLarge(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 500) { collector in
            func submit(_ records: [[String: String]]) async throws -> String {
                try await collector.submit(
                    Submission(
                        sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface,
                        artefact: .bytes(Data(PenaltyRows.csv(records).utf8)), fileName: "处罚.csv", submittedBy: "test"
                    )
                ).batch
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await IngestionWorker(collector: collector, logger: TestStores.logger).run() }
                let large = try await submit((1...10_000).map { PenaltyRows.record($0) })
                let small = try await submit([PenaltyRows.record(20_001)])
                let smallDone = try #require(try await collector.waitForCompletion(batch: small, timeout: .seconds(300)))
                #expect(smallDone.status == .completed)
                #expect(try await collector.summary(batch: large)?.status == .processing, "the small batch waited for the large one")
                let largeDone = try #require(try await collector.waitForCompletion(batch: large, timeout: .seconds(600)))
                #expect(largeDone.status == .completed)
                #expect(largeDone.rows.accepted == 10_000)
                group.cancelAll()
            }
        }
    }

    @Test("The same records from two sources processed at once: each stored once, the other side a conflict", arguments: StoreBackend.allCases)
    func concurrentSources(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 100) { collector in
            let count = 1_000
            let ours = PenaltyRows.csv((1...count).map { PenaltyRows.record($0) })
            let theirs = PenaltyRows.csv((1...count).map { PenaltyRows.record($0, ["CF_FRDB": "王五", "CF_SJLYDM": PenaltyRows.otherBureau]) })
            var batches: [String] = []
            for (unit, text) in [(PenaltyRows.submitter, ours), (PenaltyRows.otherBureau, theirs)] {
                batches.append(
                    try await collector.submit(
                        Submission(sourceUnit: unit, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data(text.utf8)), fileName: "处罚.csv", submittedBy: "test")
                    ).batch
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for batch in batches { group.addTask { try await collector.process(batchID: batch) } }
                try await group.waitForAll()
            }
            var accepted = 0
            var conflicts = 0
            for batch in batches {
                let summary = try #require(try await collector.summary(batch: batch))
                #expect(summary.status == .completed)
                accepted += summary.rows.accepted
                conflicts += summary.rows.conflict
            }
            #expect(accepted == count)
            #expect(conflicts == count)
            #expect(try await collector.store.collection.changes(after: 0, limit: 10 * count, resourceIDs: nil, division: nil).count == count)
        }
    }

    @Test("A decision sent again with its reference number typed another way is a duplicate, not a second record", arguments: StoreBackend.allCases)
    func referenceNumberSpellings(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let first = try await Self.ingest(collector, Array(PenaltyRows.csv([PenaltyRows.record(1)]).utf8))
            #expect(first.rows.accepted == 1)
            let retyped = [
                PenaltyRows.record(1, ["CF_WSH": "杭市监罚[2023]1号"]), PenaltyRows.record(1, ["CF_WSH": "杭市监罚（２０２３）１号"]),
                PenaltyRows.record(1, ["CF_WSH": "杭市监罚 【2023】 1号"]),
            ]
            let again = try await Self.ingest(collector, Array(PenaltyRows.csv(retyped).utf8))
            #expect(again.rows == RowCounts(total: 3, duplicate: 3), "\(again.rows)")
            let history = try await collector.store.collection.recordHistory(resourceID: "admin_penalty", businessKey: "杭市监罚〔2023〕1号\u{1F}\(PenaltyRows.company)")
            #expect(history.count == 1)
            // A corrected record typed another way is the next version of the same record.
            let corrected = try await Self.ingest(collector, Array(PenaltyRows.csv([PenaltyRows.record(1, ["CF_WSH": "杭市监罚[2023]1号", "CF_NR_FK": "0.3", "CF_NR": "罚款3000元"])]).utf8))
            #expect(corrected.rows.accepted == 1 && corrected.rows.fixed == 1)
            let versions = try await collector.store.collection.recordHistory(resourceID: "admin_penalty", businessKey: "杭市监罚〔2023〕1号\u{1F}\(PenaltyRows.company)")
            #expect(versions.map(\.version) == [1, 2])
            #expect(versions.last?.data.contains(#""CF_WSH":"杭市监罚〔2023〕1号""#) == true)
        }
    }

    @Test("Backslashes, quotes, tabs and line breaks in values are stored and read back exactly", arguments: StoreBackend.allCases)
    func awkwardText(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            // Long enough that the escapes fall inside the eight-byte runs the writers skip over.
            let facts = "当事人称：\"已整改\"\t见附件 C:\\案卷\\2023\n第二行\r\n第三行，反斜杠在末尾\\"
            let receipt = try await Self.ingest(collector, Array(PenaltyRows.csv([PenaltyRows.record(1, ["CF_SY": facts])]).utf8))
            #expect(receipt.rows.accepted == 1)
            let history = try await collector.store.collection.recordHistory(resourceID: "admin_penalty", businessKey: "杭市监罚〔2023〕1号\u{1F}\(PenaltyRows.company)")
            let data = try #require(history.first?.data)
            let stored = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: String]
            #expect(stored?["CF_SY"] == facts)
        }
    }

    @Test("A receipt's problem rows read page by page are the whole receipt's", arguments: StoreBackend.allCases)
    func problemPages(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 3) { collector in
            let records = (1...12).map { number in
                number.isMultiple(of: 2) ? PenaltyRows.record(number, ["CF_XDR_SHXYM": "91330100716105852E"]) : PenaltyRows.record(number)
            }
            let whole = try await Self.ingest(collector, Array(PenaltyRows.csv(records).utf8))
            #expect(whole.problems.count == 6)
            var paged: [ProblemRow] = []
            while true {
                let page = try await collector.store.collection.problems(batchID: whole.batch, afterRow: paged.last?.row ?? 0, limit: 4)
                #expect(page.count <= 4)
                guard !page.isEmpty else { break }
                paged += page.map(\.problem)
            }
            #expect(paged == whole.problems)
            let summary = try #require(try await collector.receiptSummary(batch: whole.batch))
            #expect(summary.problems.isEmpty)
            #expect(summary.rows == whole.rows)
            // Written out in pages of 4, pretty (the CLI) or compact (the API), the text is the whole receipt's.
            for pretty in [true, false] {
                var written = ""
                try await collector.writeReceiptJSON(batch: summary, pretty: pretty, pageRows: 4) { written += $0 }
                #expect(written == String(decoding: try ReceiptJSON.encoder(pretty: pretty).encode(whole), as: UTF8.self))
            }
            var onePage = Data()
            var pages = Data()
            #expect(try await collector.writeRejectedRowsCSV(batch: whole.batch) { onePage += $0 })
            #expect(try await collector.writeRejectedRowsCSV(batch: whole.batch, pageRows: 4) { pages += $0 })
            #expect(pages == onePage)
            #expect(String(decoding: pages, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 7)
            #expect(try await collector.writeRejectedRowsCSV(batch: "B-none") { _ in Testing.Issue.record("wrote for a missing batch") } == false)
        }
    }

    @Test("Past the batch's allowance, problem rows are counted but not listed; accepted rows are stored as usual", arguments: StoreBackend.allCases)
    func problemAllowance(backend: StoreBackend) async throws {
        // Every second row rejected, and a line cut short after its first cell: one issue for it.
        let records = (1...12).map { number in
            number.isMultiple(of: 2) ? PenaltyRows.record(number, ["CF_XDR_SHXYM": "91330100716105852E"]) : PenaltyRows.record(number)
        }
        let bytes = Array((PenaltyRows.csv(records) + "杭州某某\r\n").utf8)
        let path = Scratch.path("a", ".csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let validated = try await FileValidation.validate(
            path: path, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil, chunkRows: 3,
            maximumProblemRows: 4
        )
        #expect(validated.rows == RowCounts(total: 13, accepted: 6, rejected: 7))
        #expect(validated.problems.map(\.row) == [2, 4, 6, 8])
        #expect(validated.problemsOmitted == 3)
        try await Self.withCollector(backend, chunkRows: 3, maximumProblemRows: 4) { collector in
            let receipt = try await Self.ingest(collector, bytes)
            #expect(receipt.rows == validated.rows)
            #expect(receipt.problems == validated.problems)
            #expect(receipt.problemsOmitted == 3)
            #expect(try await collector.store.collection.changes(after: 0, limit: 100, resourceIDs: nil, division: nil).count == 6)
            let summary = try #require(try await collector.receiptSummary(batch: receipt.batch))
            var written = ""
            try await collector.writeReceiptJSON(batch: summary, pretty: false, pageRows: 2) { written += $0 }
            #expect(written.contains(#""problems_omitted":3"#))
            var csv = Data()
            #expect(try await collector.writeRejectedRowsCSV(batch: receipt.batch) { csv += $0 })
            #expect(String(decoding: csv, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 5)
        }
        // Under the allowance nothing is omitted, and the receipt has no such field; the cut line's one issue says what it lacks.
        try await Self.withCollector(backend, chunkRows: 3) { collector in
            let receipt = try await Self.ingest(collector, bytes)
            #expect(receipt.problemsOmitted == nil)
            #expect(receipt.problems.count == 7)
            #expect(receipt.problems.last?.issues.map(\.code) == [.missingCells])
            let summary = try #require(try await collector.receiptSummary(batch: receipt.batch))
            var written = ""
            try await collector.writeReceiptJSON(batch: summary, pretty: false, pageRows: 2) { written += $0 }
            #expect(!written.contains("problems_omitted"))
        }
    }

    @Test("Each status has its own allowance of listed problem rows, and a resumed batch goes on with what it listed", arguments: StoreBackend.allCases)
    func problemAllowancePerStatus(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 1, maximumProblemRows: 3) { earlier in
            let first = try await Self.ingest(earlier, Array(PenaltyRows.csv((1...10).map { PenaltyRows.record($0) }).utf8))
            #expect(first.rows.accepted == 10)
            // A full refresh: ten repeats first, then rows to fix, rows to reject and new records
            // (enough chunks that the stop below lands part-way on a loaded machine too).
            let refresh = (1...10).map { PenaltyRows.record($0) } + (11...15).map { PenaltyRows.record($0, ["CF_JDRQ": "2023年5月6日"]) }
                + (16...20).map { PenaltyRows.record($0, ["CF_XDR_MC": ""]) } + (21...200).map { PenaltyRows.record($0) }
            let bytes = Array(PenaltyRows.csv(refresh).utf8)
            // A collector whose commit signals are all this batch's.
            let collector = Collector(store: earlier.store, raw: earlier.raw, configuration: earlier.configuration, logger: TestStores.logger)
            let acknowledgement = try await collector.submit(
                Submission(sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data(bytes)), fileName: "全量.csv", submittedBy: "test")
            )
            // Stopped after its first chunk (of 200), as a shutdown stops it, then resumed.
            let commits = collector.commits.stream
            let processing = Task { try await collector.process(batchID: acknowledgement.batch) }
            for await _ in commits { break }
            processing.cancel()
            _ = try? await processing.value
            let stopped = try #require(try await collector.store.collection.batch(id: acknowledgement.batch))
            #expect(stopped.status == .processing && stopped.processedRows > 0 && stopped.processedRows < 200)
            try await collector.process(batchID: acknowledgement.batch)
            let receipt = try #require(try await collector.receipt(batch: acknowledgement.batch))
            #expect(receipt.rows == RowCounts(total: 200, accepted: 185, fixed: 5, rejected: 5, duplicate: 10))
            #expect(receipt.problems.map(\.row) == [1, 2, 3, 11, 12, 13, 16, 17, 18])
            #expect(receipt.problemsOmitted == 11)
            #expect(try await collector.store.collection.problemCounts(batchID: acknowledgement.batch) == [.duplicate: 3, .fixed: 3, .rejected: 3])
        }
    }

    @Test("Quality history per source unit and resource", arguments: StoreBackend.allCases)
    func qualityHistory(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let start = Date().addingTimeInterval(-1)
            _ = try await Self.ingest(collector, Array(PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2, ["CF_WSH": ""])]).utf8))
            _ = try await Self.ingest(collector, Array(PenaltyRows.csv([PenaltyRows.record(3)]).utf8), unit: PenaltyRows.dataBureau)
            let mine = try await collector.store.collection.qualityHistory(sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", from: start, to: nil)
            #expect(mine.count == 1)
            #expect(mine.first?.scores.completeness == 0.5)
            #expect(try await collector.store.collection.qualityHistory(sourceUnit: nil, resourceID: nil, from: nil, to: nil).count == 2)
            #expect(try await collector.store.collection.qualityHistory(sourceUnit: nil, resourceID: "admin_license", from: nil, to: nil).isEmpty)
            #expect(try await collector.store.collection.qualityHistory(sourceUnit: nil, resourceID: nil, from: nil, to: start).isEmpty)
        }
    }

    @Test("Rejected rows download as CSV with reasons, and the fixed file is accepted", arguments: StoreBackend.allCases)
    func rejectedRoundTrip(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let receipt = try await Self.ingest(
                collector, Array(PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2, ["CF_XDR_MC": ""]), PenaltyRows.record(3, ["CF_JDRQ": "2023/02/30"])]).utf8)
            )
            #expect(receipt.rows.rejected == 2)
            var csv = Data()
            #expect(try await collector.writeRejectedRowsCSV(batch: receipt.batch) { csv += $0 })
            #expect(csv.starts(with: [0xEF, 0xBB, 0xBF]))
            let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
            let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first?.hasSuffix("原行号 (row),错误原因 (reason)") == true)
            #expect(lines.count == 3)
            #expect(text.contains("「行政相对人名称」为必填项"))
            // The provider fixes the two cells in Excel and sends the file back.
            let fixed = text.replacingOccurrences(of: "\r\n,法人及非法人组织", with: "\r\n杭州某某科技有限公司,法人及非法人组织").replacingOccurrences(of: "2023/02/30", with: "2023/02/28")
            let again = try await Self.ingest(collector, [0xEF, 0xBB, 0xBF] + Array(fixed.utf8), fileName: "rejected.csv")
            #expect(again.rows == RowCounts(total: 2, accepted: 2))
            #expect(again.unknownColumns == ["原行号 (row)", "错误原因 (reason)"])
        }
    }

    @Test("JSON, JSON Lines and XLSX go through the same pipeline", arguments: StoreBackend.allCases)
    func formats(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let jsonRecords = [PenaltyRows.record(1), PenaltyRows.record(2, ["CF_JDRQ": "20230506"])]
            let json = try JSONSerialization.data(withJSONObject: ["records": jsonRecords])
            let viaJSON = try await Self.ingest(collector, Array(json), fileName: "body.json")
            #expect(viaJSON.rows == RowCounts(total: 2, accepted: 2, fixed: 1))
            #expect(viaJSON.format == .json)

            var lines = try [PenaltyRows.record(11), PenaltyRows.record(12, ["CF_JDRQ": "20230506"])].map { record in
                var object = record
                object["extra"] = "1"
                return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            }
            lines.append("{broken")
            let viaLines = try await Self.ingest(collector, Array(lines.joined(separator: "\n").utf8), fileName: "records.jsonl")
            #expect(viaLines.rows == RowCounts(total: 3, accepted: 2, fixed: 1, rejected: 1))
            #expect(viaLines.unknownColumns == ["extra"])

            let path = Scratch.path("p", ".xlsx")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let record = PenaltyRows.record(9)
            var cells = PenaltyRows.cells(record).map { XLSXBuilder.Cell.shared($0) }
            let dateColumn = Catalogue.standard.resource("admin_penalty")!.fields.firstIndex { $0.id == "CF_JDRQ" }!
            cells[dateColumn] = .number("45052")
            // A sheet leaves out a row's empty cells at its end: the required one among them is
            // missing as an empty cell is, not a row cut short.
            let endingEarly = PenaltyRows.cells(PenaltyRows.record(10)).dropLast(2).map { XLSXBuilder.Cell.shared($0) }
            try XLSXBuilder.write(rows: [PenaltyRows.header.map { .shared($0) }, cells, endingEarly], to: path)
            let viaXLSX = try await Self.ingest(collector, Array(try Data(contentsOf: URL(fileURLWithPath: path))), fileName: "处罚.xlsx")
            #expect(viaXLSX.rows == RowCounts(total: 2, accepted: 1, fixed: 1, rejected: 1))
            #expect(viaXLSX.problems.first?.issues.first?.value == "2023-05-06")
            #expect(viaXLSX.problems.last?.issues.map(\.code) == [.required])
            #expect(viaXLSX.problems.last?.issues.first?.field == "CF_SJLYDM")
            #expect(viaXLSX.sheet == "Sheet1")

            // The same date in a workbook that counts from 1904, as old Excel for Mac's do: the
            // serial is 1,462 days smaller, and the date the same.
            let mac = Scratch.path("mac", ".xlsx")
            defer { try? FileManager.default.removeItem(atPath: mac) }
            var macCells = PenaltyRows.cells(PenaltyRows.record(37)).map { XLSXBuilder.Cell.shared($0) }
            macCells[dateColumn] = .number("43590")
            try XLSXBuilder.write(rows: [PenaltyRows.header.map { .shared($0) }, macCells], to: mac, date1904: true)
            let via1904 = try await Self.ingest(collector, Array(try Data(contentsOf: URL(fileURLWithPath: mac))), fileName: "处罚（Mac）.xlsx")
            #expect(via1904.rows == RowCounts(total: 1, accepted: 1, fixed: 1))
            #expect(via1904.problems.first?.issues.first?.value == "2023-05-06")
        }
    }

    @Test("A workbook whose first sheet is its instructions is read from the first sheet with a header, which the receipt names", arguments: StoreBackend.allCases)
    func instructionSheetFirst(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let path = Scratch.path("t", ".xlsx")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let instructions: [[XLSXBuilder.Cell]] = [[.shared("填报说明")], [.inline("1. 日期填写为 YYYY-MM-DD；2. 金额单位为万元")], [.inline("行政相对人名称 必填")]]
            let codes: [[XLSXBuilder.Cell]] = [[.shared("处罚类别")], [.shared("罚款")], [.shared("警告")]]
            let data = [PenaltyRows.header.map { XLSXBuilder.Cell.shared($0) }] + (1...3).map { PenaltyRows.cells(PenaltyRows.record($0)).map { XLSXBuilder.Cell.shared($0) } }
            try XLSXBuilder.write(sheets: [("填报说明", instructions), ("代码表", codes), ("行政处罚", data)], to: path)
            let receipt = try await Self.ingest(collector, Array(try Data(contentsOf: URL(fileURLWithPath: path))), fileName: "行政处罚模板.xlsx")
            #expect(receipt.status == .completed)
            #expect(receipt.rows == RowCounts(total: 3, accepted: 3))
            #expect(receipt.sheet == "行政处罚")
            var json = ""
            try await ReceiptJSON.write(receipt, pretty: false, problems: { _ in [] }) { json += $0 }
            #expect(json.contains(#""sheet":"行政处罚""#))

            try XLSXBuilder.write(sheets: [("填报说明", instructions), ("代码表", codes)], to: path)
            let noData = try await Self.ingest(collector, Array(try Data(contentsOf: URL(fileURLWithPath: path))), fileName: "空模板.xlsx")
            Self.expectFailed(noData, .noHeader, saying: "工作簿的 2 个工作表的前 20 行中均未找到表头", "in the first 20 rows of any of the workbook's 2 sheets")
            #expect(noData.batchProblems.first?.messageEnglish.contains("read as") == false, "a workbook has no text encoding to mistake")
        }
    }

    /// A failed batch's receipt: its one batch problem is `code`, with messages holding these words.
    static func expectFailed(_ receipt: Receipt, _ code: IssueCode, saying chinese: String, _ english: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(receipt.status == .failed, sourceLocation: sourceLocation)
        #expect(receipt.batchProblems.map(\.code) == [code], sourceLocation: sourceLocation)
        #expect(receipt.batchProblems.first?.message.contains(chinese) == true, sourceLocation: sourceLocation)
        #expect(receipt.batchProblems.first?.messageEnglish.contains(english) == true, sourceLocation: sourceLocation)
    }

    @Test("Unreadable files and files without a header fail with a reason; acknowledged bytes stay", arguments: StoreBackend.allCases)
    func unreadable(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let noHeader = try await Self.ingest(collector, Array("a,b,c\n1,2,3\n".utf8))
            // The reason in Chinese for the clerk, in English for the integrator.
            Self.expectFailed(noHeader, .noHeader, saying: "前 20 行中未找到表头", "no header row")
            // How the text was read, for a file whose encoding was mistaken.
            Self.expectFailed(noHeader, .noHeader, saying: "文件按 UTF-8 编码读取", "(read as UTF-8; if the header shows garbled characters, declare the file's encoding)")
            #expect(noHeader.encoding == .utf8, "a failed receipt says how the file was read")
            // The wrong template: every row would be rejected for the same missing columns.
            let header = PenaltyRows.header.filter { $0 != "处罚类别" && $0 != "数据来源单位" }
            let rows = [PenaltyRows.record(1), PenaltyRows.record(2)].map { record in
                zip(PenaltyRows.header, PenaltyRows.cells(record)).filter { header.contains($0.0) }.map { PenaltyRows.quote($0.1) }.joined(separator: ",")
            }
            let wrongTemplate = try await Self.ingest(collector, Array(([header.joined(separator: ",")] + rows).joined(separator: "\n").utf8))
            #expect(wrongTemplate.status == .failed)
            #expect(wrongTemplate.rows.total == 0)
            #expect(wrongTemplate.batchProblems.map(\.code) == [.missingRequiredColumns])
            #expect(wrongTemplate.batchProblems.first?.message.hasPrefix("表头缺少必填列：处罚类别、数据来源单位") == true)
            // The receipt lists the template's missing columns, optional ones included.
            #expect(wrongTemplate.missingColumns.contains("CF_CFLB") && wrongTemplate.missingColumns.contains("CF_SJLY"))
            #expect(wrongTemplate.encoding == .utf8)
            // `validate` says the same of both.
            for (bytes, stored) in [(Array("a,b,c\n1,2,3\n".utf8), noHeader), (Array(([header.joined(separator: ",")] + rows).joined(separator: "\n").utf8), wrongTemplate)] {
                let path = Scratch.path("failed", ".csv")
                defer { try? FileManager.default.removeItem(atPath: path) }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let validated = try await FileValidation.validate(
                    path: path, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil
                )
                #expect(validated.status == .failed)
                #expect(validated.batchProblems == stored.batchProblems)
                #expect(validated.encoding == stored.encoding)
                #expect(validated.missingColumns == stored.missingColumns)
            }
            let brokenXLSX = try await Self.ingest(collector, [0x50, 0x4B, 0x03, 0x04, 1, 2, 3], fileName: "x.xlsx")
            #expect(brokenXLSX.status == .failed)
            #expect(brokenXLSX.batchProblems.first?.code == .unreadable)
            #expect(brokenXLSX.batchProblems.first?.message.hasPrefix("文件已损坏") == true)
            let summary = try #require(try await collector.summary(batch: brokenXLSX.batch))
            #expect(FileManager.default.fileExists(atPath: collector.raw.path(sha256: summary.sha256)))
            // A legacy workbook is named for what it is, with what to send instead, not `no_header`.
            let legacy = try await Self.ingest(collector, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + Array(repeating: 0, count: 504), fileName: "处罚.xls")
            Self.expectFailed(legacy, .unsupportedFormat, saying: "另存为", "an Excel 97-2003 workbook (.xls)")
        }
    }

    @Test("A form's sign-off rows after the records (制表人, 合计…) are no records and keep their places", arguments: StoreBackend.allCases)
    func signOffRows(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let columns = PenaltyRows.header.count
            func line(_ cells: [String]) -> String { (cells + Array(repeating: "", count: columns - cells.count)).joined(separator: ",") }
            let csv = PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2)])
                + [line([]), line(["合计：2 条"]), line(["制表人：张三", "", "审核人：李四", "填报日期：2023-05-06"]), line(["杭州某某"])].joined(separator: "\r\n")
            let receipt = try await Self.ingest(collector, Array(csv.utf8))
            #expect(receipt.status == .completed)
            #expect(receipt.rows == RowCounts(total: 3, accepted: 2, rejected: 1))
            // The one-cell row that names no sign-off is a broken record, at its own place.
            #expect(receipt.problems.map(\.row) == [6])
        }
    }

    @Test("A header repeated among the records, as when exports are pasted together, is no record", arguments: StoreBackend.allCases)
    func repeatedHeader(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let first = PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2)])
            let second = PenaltyRows.csv([PenaltyRows.record(3), PenaltyRows.record(4, ["CF_WSH": ""])])
            let receipt = try await Self.ingest(collector, Array((first + second).utf8))
            #expect(receipt.rows == RowCounts(total: 4, accepted: 3, rejected: 1))
            // Row 3 was the second header: the rejected record is the file's fifth data row.
            #expect(receipt.problems.map(\.row) == [5])
            // Another template's header marks required columns: still the header.
            let marked = second.replacingOccurrences(of: PenaltyRows.header[0] + ",", with: "*" + PenaltyRows.header[0] + ",")
            #expect(marked != second)
            let again = try await Self.ingest(collector, Array((first + marked).utf8), fileName: "合并.csv")
            #expect(again.rows.total == 4)
        }
    }

    @Test("NUL and other control characters in values are removed before they reach the store, which refuses NUL in text", arguments: StoreBackend.allCases)
    func controlCharacters(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            let records = [
                PenaltyRows.record(1, ["CF_XDR_MC": "杭州\u{0}某某科技有限公司", "CF_WSH": "杭市监罚〔2023〕1号\u{0}"]),
                PenaltyRows.record(2, ["CF_SY": "违法\u{1}事实\n第二行"]),
            ]
            let receipt = try await Self.ingest(collector, Array(PenaltyRows.csv(records).utf8))
            #expect(receipt.status == .completed)
            #expect(receipt.rows == RowCounts(total: 2, accepted: 2, fixed: 2))
            let stored = try await collector.store.collection.changes(after: 0, limit: 10, resourceIDs: nil, division: nil)
            #expect(stored.map(\.subjectName).first == "杭州某某科技有限公司")
            #expect(stored.allSatisfy { !$0.businessKey.utf8.contains(0) && !$0.json.contains(0) })
        }
    }

    @Test("A file damaged part-way fails saying where, keeping the rows before the damage, and is not retried", arguments: StoreBackend.allCases)
    func damagedPartWay(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 64) { collector in
            // Far more than one read of the sheet before the damage, so it is met part-way.
            let good = (1...400).map { PenaltyRows.cells(PenaltyRows.record($0)).map { XLSXBuilder.Cell.shared($0) } }
            let damaged: [XLSXBuilder.Cell] = [.raw(#"<c r="AAAAAAAAAAAAAAAAAAAA402"><v>1</v></c>"#)]
            let path = Scratch.path("d", ".xlsx")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try XLSXBuilder.write(rows: [PenaltyRows.header.map { .shared($0) }] + good + [damaged] + good.prefix(3), to: path)
            let receipt = try await Self.ingest(collector, Array(try Data(contentsOf: URL(fileURLWithPath: path))), fileName: "处罚.xlsx")
            #expect(receipt.status == .failed)
            #expect(receipt.rows == RowCounts(total: 400, accepted: 400))
            let problem = try #require(receipt.batchProblems.first)
            #expect(problem.code == .unreadable)
            #expect(problem.message.hasPrefix("第 400 行之后：工作表已损坏"))
            #expect(problem.messageEnglish.hasPrefix("after data row 400: damaged worksheet"))
            #expect(try await collector.store.collection.changes(after: 0, limit: 1_000, resourceIDs: nil, division: nil).count == 400)

            let again = try await collector.process(batchID: receipt.batch)
            #expect(again.status == .failed, "a failed batch is not read again")
            #expect(again.rows == receipt.rows)
        }
    }

    @Test("A batch whose processing took the server down at the same row again and again is failed there, not resumed forever", arguments: StoreBackend.allCases)
    func interruptedTooOften(backend: StoreBackend) async throws {
        try await Self.withCollector(backend, chunkRows: 2) { collector in
            let collection = collector.store.collection
            func submit(_ number: Int) async throws -> String {
                try await collector.submit(
                    Submission(
                        sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface,
                        artefact: .bytes(Data(PenaltyRows.csv([PenaltyRows.record(number), PenaltyRows.record(number + 1)]).utf8)), fileName: "处罚.csv", submittedBy: "test"
                    )
                ).batch
            }
            // Starts that ended without a word: what a crash or a kill leaves behind.
            let poisoned = try await submit(1)
            for expected in 1...3 { #expect(try await collection.claimBatch(id: poisoned) == expected) }
            let failed = try await collector.process(batchID: poisoned)
            #expect(failed.status == .failed)
            #expect(failed.batchProblems.map(\.code) == [.processingInterrupted])
            #expect(failed.batchProblems.first?.message.contains("已 3 次意外中断") == true)
            #expect(try await collection.batches(sourceUnit: nil, status: .failed, limit: 10).map(\.batch.id) == [poisoned])
            #expect(try await collection.batches(sourceUnit: PenaltyRows.submitter, status: .failed, limit: 10).map(\.batch.id) == [poisoned])
            #expect(try await collection.batches(sourceUnit: PenaltyRows.dataBureau, status: .failed, limit: 10).isEmpty)
            #expect(try await collection.batches(sourceUnit: nil, status: .completed, limit: 10).isEmpty)
            #expect(try await collection.changes(after: 0, limit: 10, resourceIDs: nil, division: nil).isEmpty)

            // Once the fault is fixed an operator retries it; a batch that is not failed is not retried.
            let operatorActor = AuditActor(kind: .platform, id: "cli:operator", unit: "")
            let retried = try await collector.retry(batchID: poisoned, actor: operatorActor)
            #expect(retried.status == .completed)
            #expect(retried.batchProblems.isEmpty)
            #expect(retried.rows.accepted == 2)
            do {
                try await collector.retry(batchID: poisoned, actor: operatorActor)
                Issue.record("a completed batch was retried")
            } catch let error as CreditHubError {
                #expect(error.code == "batch_not_failed")
            }

            // Starts that ended in an error or a shutdown were released, and progress starts the count again.
            let healthy = try await submit(11)
            for _ in 1...5 {
                _ = try await collection.claimBatch(id: healthy)
                try await collection.releaseBatch(id: healthy)
            }
            #expect(try await collection.claimBatch(id: healthy) == 1)
            #expect(try await collection.claimBatch(id: healthy) == 2)
            #expect(try await collection.claimBatch(id: healthy) == 3)
            try await collection.releaseBatch(id: healthy)
            let completed = try await collector.process(batchID: healthy)
            #expect(completed.status == .completed)
            #expect(completed.rows.accepted == 2)
        }
    }

    @Test("Submissions the catalogue does not allow are refused before anything is stored", arguments: StoreBackend.allCases)
    func refusals(backend: StoreBackend) async throws {
        try await Self.withCollector(backend) { collector in
            await #expect(throws: CreditHubError.self) {
                _ = try await collector.submit(Submission(sourceUnit: "not-a-code", resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data()), submittedBy: "t"))
            }
            await #expect(throws: CreditHubError.self) {
                _ = try await collector.submit(Submission(sourceUnit: PenaltyRows.submitter, resourceID: "nothing", channel: .interface, artefact: .bytes(Data()), submittedBy: "t"))
            }
            do {
                _ = try await collector.submit(Submission(sourceUnit: PenaltyRows.submitter, resourceID: "black_list", channel: .tablePull, artefact: .bytes(Data()), submittedBy: "t"))
                Issue.record("a channel the resource does not allow was accepted")
            } catch let error as CreditHubError {
                #expect(error.code == "not_permitted")
            }
            #expect(try await collector.store.collection.batches(sourceUnit: nil, limit: 10).isEmpty)
        }
    }

    @Test("Validation judges a file's repeats, versions and conflicts as ingesting it into an empty store does", arguments: StoreBackend.allCases)
    func validationMatchesIngest(backend: StoreBackend) async throws {
        let rows = [
            PenaltyRows.record(1),
            PenaltyRows.record(1, ["CF_XDR_MC": "\u{3000}杭州某某科技有限公司 "]),  // the same once trimmed: a duplicate
            PenaltyRows.record(1, ["CF_NR_FK": "0.3"]),  // its own source changed it: a new version
            PenaltyRows.record(1, ["CF_NR_FK": "0.4", "CF_SJLYDM": PenaltyRows.otherBureau]),  // another source: a conflict
            PenaltyRows.record(1, ["CF_NR_FK": "0.2"]),  // back to the first content, which is no longer current
            PenaltyRows.record(2, ["CF_SY": "多行\n\"引号\"", "CF_JDRQ": "2023年5月6日"]),  // fixed
            PenaltyRows.record(2, ["CF_SY": "多行\n\"引号\"", "CF_JDRQ": "20230506", "BZ": "\u{3000}"]),  // the same once fixed
            PenaltyRows.record(3, ["CF_NR_FK": "-1"]),
        ]
        let bytes = Array(PenaltyRows.csv(rows).utf8)
        let path = Scratch.path("v", ".csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let validated = try await FileValidation.validate(
            path: path, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil, chunkRows: 3
        )
        #expect(validated.rows == RowCounts(total: 8, accepted: 4, fixed: 1, rejected: 1, duplicate: 2, conflict: 1))
        #expect(validated.problems.map(\.row) == [2, 4, 6, 7, 8])
        #expect(validated.problems.map(\.status) == [.duplicate, .conflict, .fixed, .duplicate, .rejected])
        try await Self.withCollector(backend, chunkRows: 3) { collector in
            let ingested = try await Self.ingest(collector, bytes)
            #expect(ingested.rows == validated.rows)
            #expect(ingested.problems.map(\.row) == validated.problems.map(\.row))
            #expect(ingested.problems.map(\.status) == validated.problems.map(\.status))
            #expect(ingested.problems.map { $0.issues.map(\.code) } == validated.problems.map { $0.issues.map(\.code) })
        }
    }

    @Test("Validation without a store judges duplicates within the file")
    func validateFile() async throws {
        let path = Scratch.path("v", ".csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generator = SampleGenerator(resource: Catalogue.standard.resource("admin_penalty")!, seed: 7, defects: .init(fixable: 0.1, rejected: 0.05, duplicate: 0.02))
        let sink = try SampleSink(path: path, encoding: .gb18030)
        try sink.write(generator.header)
        for _ in 0..<3000 { try sink.write(generator.nextRow()) }
        try sink.close()
        let receipt = try await FileValidation.validate(path: path, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil, chunkRows: 700)
        #expect(receipt.status == .completed)
        #expect(receipt.encoding == .gb18030)
        #expect(receipt.rows.total == 3000)
        #expect(receipt.rows.duplicate > 0 && receipt.rows.rejected > 0 && receipt.rows.fixed > 0)
        #expect(receipt.rows.accepted + receipt.rows.rejected + receipt.rows.duplicate + receipt.rows.conflict == 3000)
        #expect(receipt.problems.count == receipt.rows.fixed + receipt.rows.rejected + receipt.rows.duplicate + receipt.rows.conflict)
    }
}
