import CreditKernel
import Foundation
import Governance
import Storage

/// One data, one source (一数一源): decides for each governed row of a chunk whether it is a new
/// record, a new version, a duplicate or a conflict, given the store's current versions.
///
/// Pure: the same rows and the same current records always give the same result, so it is tested
/// without a database, and `credithub validate` uses it with an in-memory view of the file.
public struct ChunkClassifier: Sendable {
    public let resourceID: String
    public let batchID: String
    public let recordedAt: Date

    public init(resourceID: String, batchID: String, recordedAt: Date) {
        self.resourceID = resourceID
        self.batchID = batchID
        self.recordedAt = recordedAt
    }

    /// What a chunk comes to.
    public struct Outcome: Sendable {
        let classifier: ChunkClassifier
        public var counts = RowCounts()
        public var tally = QualityTally()
        /// Rows that become record versions, with the version each becomes.
        var accepted: [(row: GovernedRow, number: Int, supersedes: Int64?, operation: RecordOperation)] = []
        public var conflicts: [ConflictRecord] = []
        public var problems: [StoredProblem] = []
        /// The chunk's effect on current records, for the next chunk when no store is involved.
        public var current: [Digest128: CurrentRecord] = [:]

        /// The record versions to store, made when asked for: validation never needs them.
        public var versions: [RecordVersion] {
            accepted.map { classifier.version($0.row, number: $0.number, supersedes: $0.supersedes, operation: $0.operation) }
        }
    }

    public func classify(
        _ rows: [GovernedRow],
        current: [Digest128: CurrentRecord],
        openConflicts: [ConflictIdentity: String],
        makeConflictID: () -> String = { UUID().uuidString.lowercased() }
    ) -> Outcome {
        var outcome = Outcome(classifier: self)
        // The chunk's own changes overlay the store's view (never copied: it may be large).
        var latest: [Digest128: CurrentRecord] = [:]
        latest.reserveCapacity(rows.count)
        var queued = openConflicts

        for row in rows {
            outcome.counts.total += 1
            if row.complete { outcome.tally.completeRows += 1 }
            if row.valid { outcome.tally.validRows += 1 }
            if let timely = row.timely {
                outcome.tally.datedRows += 1
                if timely { outcome.tally.timelyRows += 1 }
            }
            if row.status == .rejected {
                outcome.counts.rejected += 1
                outcome.problems.append(StoredProblem(problem: ProblemRow(row: row.position, status: .rejected, issues: row.issues), originalCells: row.originalCells))
                continue
            }
            let existing = latest[row.keyHash] ?? current[row.keyHash]
            if let existing, existing.contentHash == row.contentHash {
                outcome.counts.duplicate += 1
                let issue = Issue(
                    field: nil, code: .duplicate,
                    message: existing.batchID == batchID
                        ? "与本文件第 \(existing.rowNumber) 行重复" : "与已入库记录重复（批次 \(existing.batchID) 第 \(existing.rowNumber) 行）",
                    messageEnglish: existing.batchID == batchID
                        ? "repeats row \(existing.rowNumber) of this file" : "repeats the stored record from batch \(existing.batchID), row \(existing.rowNumber)"
                )
                outcome.problems.append(StoredProblem(problem: ProblemRow(row: row.position, status: .duplicate, issues: [issue] + row.issues), originalCells: []))
                continue
            }
            if let existing, existing.sourceUnit != row.sourceUnit {
                outcome.counts.conflict += 1
                let incoming = version(row, number: 0, supersedes: nil, operation: .conflictResolution)
                let identity = ConflictIdentity(keyHash: row.keyHash, incomingSource: row.sourceUnit, incomingContentHash: row.contentHash)
                let id = queued[identity] ?? makeConflictID()
                if queued[identity] == nil {
                    queued[identity] = id
                    outcome.conflicts.append(
                        ConflictRecord(
                            id: id, resourceID: resourceID, keyHash: row.keyHash, businessKey: row.businessKey, storedSequence: existing.sequence,
                            storedVersion: existing.version, storedSourceUnit: existing.sourceUnit, storedBatchID: existing.batchID,
                            storedRowNumber: existing.rowNumber, incoming: incoming, status: .open, createdAt: recordedAt, resolvedBy: nil,
                            resolvedAt: nil, reason: nil
                        )
                    )
                }
                let issue = Issue(
                    field: nil, code: .conflict,
                    message: "与数源单位 \(existing.sourceUnit) 报送的记录（批次 \(existing.batchID) 第 \(existing.rowNumber) 行）内容不一致，已转入冲突队列待核实；原记录保持不变",
                    messageEnglish: "differs from the record source unit \(existing.sourceUnit) sent (batch \(existing.batchID), row \(existing.rowNumber)); queued for verification, the stored record is unchanged"
                )
                let reference = ConflictReference(
                    id: id, storedBatch: existing.batchID, storedRow: existing.rowNumber, storedSourceUnit: existing.sourceUnit, storedVersion: existing.version
                )
                outcome.problems.append(StoredProblem(problem: ProblemRow(row: row.position, status: .conflict, issues: [issue], conflict: reference), originalCells: []))
                continue
            }
            // New record, or a new version from the record's own source.
            let number = (existing?.version ?? 0) + 1
            let storedBefore = latest[row.keyHash] == nil ? existing?.sequence : nil
            outcome.accepted.append((row, number, storedBefore, existing == nil ? .create : .update))
            latest[row.keyHash] = CurrentRecord(sequence: 0, version: number, sourceUnit: row.sourceUnit, contentHash: row.contentHash, batchID: batchID, rowNumber: row.position)
            outcome.counts.accepted += 1
            if row.status == .fixed {
                outcome.counts.fixed += 1
                outcome.problems.append(StoredProblem(problem: ProblemRow(row: row.position, status: .fixed, issues: row.issues), originalCells: []))
            }
        }
        outcome.current = latest
        return outcome
    }

    func version(_ row: GovernedRow, number: Int, supersedes: Int64?, operation: RecordOperation) -> RecordVersion {
        RecordVersion(
            sequence: 0, resourceID: resourceID, keyHash: row.keyHash, businessKey: row.businessKey, version: number, operation: operation,
            subjectCode: row.subjectCode, subjectType: row.subjectType, subjectName: row.subjectName,
            division: StorageCoding.division(ofSubject: row.subjectCode), eventDate: row.eventDate, sourceUnit: row.sourceUnit, batchID: batchID,
            rowNumber: row.position, contentHash: row.contentHash, json: row.dataJSON, recordedAt: recordedAt, supersedes: supersedes
        )
    }
}
