import CreditHubTestSupport
import CreditKernel
import Foundation
@testable import Governance
import Ingestion
import Storage
import Testing

@Suite("One data, one source")
struct ChunkClassifierTests {
    static let governor = ResourceGovernor(resource: Catalogue.standard.resource("admin_penalty")!, today: CalendarDate(year: 2024, month: 6, day: 1)!)

    static func row(_ changes: [String: String?] = [:], position: Int = 1) -> GovernedRow {
        var record = PenaltyRows.valid
        for (key, value) in changes { record[key] = value }
        var unknown: Set<String> = []
        return governor.govern(pairs: record.sorted { $0.key < $1.key }, position: position, submittingUnit: PenaltyRows.submitter, unknownKeys: &unknown)
    }

    static let classifier = ChunkClassifier(resourceID: "admin_penalty", batchID: "B2", recordedAt: Date(timeIntervalSince1970: 0))

    static func stored(_ row: GovernedRow, source: String? = nil, version: Int = 1) -> [Digest128: CurrentRecord] {
        [row.keyHash: CurrentRecord(sequence: 41, version: version, sourceUnit: source ?? row.sourceUnit, contentHash: row.contentHash, batchID: "B1", rowNumber: 7)]
    }

    @Test("A new key becomes version 1 with the lineage the feed and theme need")
    func newRecord() {
        let outcome = Self.classifier.classify([Self.row()], current: [:], openConflicts: [:])
        #expect(outcome.counts == RowCounts(total: 1, accepted: 1))
        #expect(outcome.versions.map(\.version) == [1])
        #expect(outcome.versions.first?.operation == .create)
        #expect(outcome.versions.first?.division == "330100")
        #expect(outcome.versions.first?.eventDate == "2023-05-06")
        #expect(outcome.versions.first?.subjectCode == PenaltyRows.company)
        #expect(outcome.versions.first?.sourceUnit == PenaltyRows.dataBureau)
        #expect(outcome.problems.isEmpty)
    }

    @Test("Identical content from the same source is a duplicate that changes nothing")
    func duplicate() {
        let row = Self.row()
        let outcome = Self.classifier.classify([row], current: Self.stored(row), openConflicts: [:])
        #expect(outcome.counts == RowCounts(total: 1, duplicate: 1))
        #expect(outcome.versions.isEmpty)
        #expect(outcome.problems.first?.problem.status == .duplicate)
        #expect(outcome.problems.first?.problem.issues.first?.messageEnglish.contains("batch B1, row 7") == true)
    }

    @Test("A changed record from its own source becomes the next version")
    func newVersion() {
        let old = Self.row()
        let changed = Self.row(["CF_NR_FK": "0.3", "CF_NR": "罚款3000元"])
        let outcome = Self.classifier.classify([changed], current: Self.stored(old, version: 2), openConflicts: [:])
        #expect(outcome.versions.map(\.version) == [3])
        #expect(outcome.versions.first?.operation == .update)
        #expect(outcome.versions.first?.supersedes == 41)
    }

    @Test("The same key with other content from another source is a conflict; the stored record stays")
    func conflict() {
        let stored = Self.row()
        let incoming = Self.row(["CF_NR_FK": "0.3", "CF_NR": "罚款3000元", "CF_SJLYDM": PenaltyRows.otherBureau])
        let outcome = Self.classifier.classify([incoming], current: Self.stored(stored), openConflicts: [:], makeConflictID: { "C1" })
        #expect(outcome.counts == RowCounts(total: 1, conflict: 1))
        #expect(outcome.versions.isEmpty)
        #expect(outcome.conflicts.count == 1)
        #expect(outcome.conflicts.first?.storedBatchID == "B1")
        #expect(outcome.conflicts.first?.incoming.sourceUnit == PenaltyRows.otherBureau)
        let problem = outcome.problems.first?.problem
        #expect(problem?.status == .conflict)
        #expect(problem?.conflict == ConflictReference(id: "C1", storedBatch: "B1", storedRow: 7, storedSourceUnit: PenaltyRows.dataBureau, storedVersion: 1))
        // The same disagreement again is reported but not queued twice.
        let again = Self.classifier.classify([incoming], current: Self.stored(stored), openConflicts: [outcome.conflicts[0].identity: "C1"], makeConflictID: { "C2" })
        #expect(again.conflicts.isEmpty)
        #expect(again.problems.first?.problem.conflict?.id == "C1")
    }

    @Test("Identical content from another source is a duplicate, not a conflict")
    func sameContentOtherSource() {
        let row = Self.row()
        let outcome = Self.classifier.classify([row], current: Self.stored(row, source: PenaltyRows.otherBureau), openConflicts: [:])
        #expect(outcome.counts.duplicate == 1)
    }

    @Test("Within one chunk, repeats and changes see the rows before them")
    func withinChunk() {
        let first = Self.row(position: 1)
        let repeated = Self.row(position: 2)
        let changed = Self.row(["CF_FRDB": "李四"], position: 3)
        let outcome = Self.classifier.classify([first, repeated, changed], current: [:], openConflicts: [:])
        #expect(outcome.counts == RowCounts(total: 3, accepted: 2, duplicate: 1))
        #expect(outcome.versions.map(\.version) == [1, 2])
        #expect(outcome.versions.last?.supersedes == nil)
        #expect(outcome.problems.first?.problem.issues.first?.messageEnglish == "repeats row 1 of this file")
    }

    @Test("Rejected and fixed rows are problems; fixed rows also count as accepted")
    func rejectedAndFixed() {
        let rejected = Self.row(["CF_WSH": nil], position: 1)
        let fixed = Self.row(["CF_JDRQ": "2023年5月6日"], position: 2)
        let outcome = Self.classifier.classify([rejected, fixed], current: [:], openConflicts: [:])
        #expect(outcome.counts == RowCounts(total: 2, accepted: 1, fixed: 1, rejected: 1))
        #expect(outcome.problems.map(\.problem.status) == [.rejected, .fixed])
        #expect(outcome.problems.first?.originalCells.isEmpty == false)
        #expect(outcome.tally == QualityTally(completeRows: 1, validRows: 2, datedRows: 2, timelyRows: 0))
    }
}

@Suite("Ingestion job state machine")
struct IngestionJobTests {
    @Test("A fresh job decodes from the start, records progress and completes")
    func happyPath() throws {
        var job = IngestionJob()
        #expect(try job.handle(.start) == .decode(skippingRows: 0))
        #expect(try job.handle(.chunkCommitted(rows: 100)) == .recordProgress(processedRows: 100))
        #expect(try job.handle(.chunkCommitted(rows: 50)) == .recordProgress(processedRows: 150))
        #expect(try job.handle(.endOfInput) == .complete)
        #expect(job.status == .completed)
        #expect(try job.handle(.start) == .alreadyFinished)
    }

    @Test("A job rebuilt after a crash skips the committed rows")
    func resume() throws {
        var job = IngestionJob(status: .processing, processedRows: 4000)
        #expect(try job.handle(.start) == .decode(skippingRows: 4000))
    }

    @Test("An unreadable artefact fails the batch")
    func unreadable() throws {
        var job = IngestionJob()
        _ = try job.handle(.start)
        #expect(try job.handle(.unreadable) == .fail)
        #expect(job.status == .failed)
    }

    @Test("A batch that interrupted the server too often fails where it was, after its committed rows")
    func interruptedTooOften() throws {
        var job = IngestionJob(status: .processing, processedRows: 4000)
        #expect(try job.handle(.start) == .decode(skippingRows: 4000))
        #expect(try job.handle(.interruptedTooOften) == .fail)
        #expect(job.status == .failed)
        #expect(job.processedRows == 4000)
        var fresh = IngestionJob()
        #expect(throws: IngestionJob.InvalidTransition.self) { try fresh.handle(.interruptedTooOften) }
    }

    @Test("Events out of order are refused")
    func invalid() {
        var job = IngestionJob()
        #expect(throws: IngestionJob.InvalidTransition.self) { try job.handle(.chunkCommitted(rows: 1)) }
        var done = IngestionJob(status: .completed, processedRows: 10)
        #expect(throws: IngestionJob.InvalidTransition.self) { try done.handle(.endOfInput) }
    }
}
