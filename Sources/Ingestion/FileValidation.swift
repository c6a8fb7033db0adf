import CreditKernel
import Foundation
import Governance
import Storage

/// Decoding and governance of one file without a store: what `credithub validate` prints.
public enum FileValidation {
    /// Rows governed together. Smaller than the pipeline's chunks, which amortise a store round
    /// trip each: here they only keep both cores busy sooner after the first row and later
    /// before the last (2,000 was about 6% faster than 10,000 on the bench's 100,000-row file).
    public static let chunkRows = 2_000

    /// The file's receipt. Problem rows go to `problemSink` in row order as they are found when one
    /// is given (the receipt then holds none), so they need not all be in memory at once; past
    /// `maximumProblemRows` they are only counted, as the pipeline does.
    public static func validate(
        path: String, resource: Resource, sourceUnit: String, format declared: ArtefactFormat?, encoding: TextEncoding?, chunkRows: Int = chunkRows,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, maximumProblemRows: Int = IngestionConfiguration.defaultMaximumProblemRows,
        problemSink: (([ProblemRow]) throws -> Void)? = nil
    ) async throws -> Receipt {
        let fileName = (path as NSString).lastPathComponent
        let format = ArtefactDecoding.format(declared: declared, fileName: fileName, path: path)
        let received = Date()
        let governor = ResourceGovernor(resource: resource, today: .today(now: received), recordBodies: .omitted)
        let classifier = ChunkClassifier(resourceID: resource.id, batchID: "validation", recordedAt: received)
        var counts = RowCounts()
        var tally = QualityTally()
        var problems: [ProblemRow] = []
        var allowance = ProblemAllowance(maximum: maximumProblemRows)
        var seen = SeenRecords()
        func receipt(status: BatchStatus, decoding: BatchDecoding?, batchProblems: [Issue]) -> Receipt {
            Receipt(
                batch: "validation", resource: resource.id, sourceUnit: sourceUnit, channel: .commandLine, fileName: fileName, format: format,
                encoding: decoding?.encoding ?? encoding, status: status, receivedAt: received, completedAt: Date(), rows: counts,
                quality: status == .completed ? tally.scores(rows: counts) : nil, unknownColumns: decoding?.unknownColumns ?? [],
                missingColumns: decoding?.missingColumns ?? [], batchProblems: batchProblems, problems: problems, problemsOmitted: allowance.omitted,
                sheet: decoding?.sheet
            )
        }
        let reader: GovernedRowReader
        do {
            reader = try GovernedRowReader(path: path, format: format, declaredEncoding: encoding, governor: governor, submittingUnit: sourceUnit)
        } catch let error as CreditHubError {
            return receipt(status: .failed, decoding: nil, batchProblems: [Issue(batchProblem: error)])
        } catch let error as GovernedRowReader.HeaderProblem {
            return receipt(status: .failed, decoding: error.decoding, batchProblems: [Issue(batchProblem: error.problem)])
        }
        do {
            try await reader.governChunks(GovernedRowReader.ChunkSize(rows: chunkRows), parallelism: parallelism) { chunk in
                let outcome = classifier.classify(chunk.rows, current: seen.current(for: chunk.rows, batchID: classifier.batchID), openConflicts: [:])
                seen.record(outcome.current)
                counts = counts + outcome.counts
                tally = tally + outcome.tally
                let admitted = allowance.admitting(outcome.problems)
                allowance = admitted.after
                let listed = admitted.listed.map(\.problem)
                if let problemSink {
                    try problemSink(listed)
                } else {
                    problems += listed
                }
            }
        } catch let error as CreditHubError {
            // Damaged part-way: the receipt covers the rows before the damage, as the pipeline's does.
            return receipt(status: .failed, decoding: reader.decoding, batchProblems: [Issue(batchProblem: error)])
        }
        return receipt(status: .completed, decoding: reader.decoding, batchProblems: [])
    }
}

/// What validation remembers of each record of a file, to find repeats and conflicts within it:
/// 48 bytes a slot (source units are numbered), so a million-row file costs about a hundred
/// megabytes rather than a `CurrentRecord` and its strings per row.
///
/// An open-addressing table rather than a `Dictionary`: the keys are SHA-256 prefixes, already
/// uniform, so their low bits place them without hashing them again, on lookup or on growth.
struct SeenRecords {
    struct Entry {
        var key: Digest128
        var contentHash: Digest128
        /// 0 for an empty slot: versions start at 1.
        var version: Int32
        var row: Int32
        var source: UInt32

        static let empty = Entry(key: Digest128(high: 0, low: 0), contentHash: Digest128(high: 0, low: 0), version: 0, row: 0, source: 0)
    }

    private var slots = [Entry](repeating: .empty, count: 1 << 12)
    private var count = 0
    private var sourceUnits: [String] = []
    private var sourceNumbers: [String: UInt32] = [:]

    /// The slot holding `key`, or the empty one where it would go.
    private func slot(_ key: Digest128) -> Int {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: key.low) & mask
        while slots[index].version != 0, slots[index].key != key {
            index = (index + 1) & mask
        }
        return index
    }

    /// The record remembered under `key`.
    subscript(key: Digest128) -> Entry? {
        let entry = slots[slot(key)]
        return entry.version == 0 ? nil : entry
    }

    /// The source unit numbered `number`.
    func sourceUnit(_ number: UInt32) -> String {
        sourceUnits[Int(number)]
    }

    /// The records a chunk's rows may repeat, as the classifier reads them from a store.
    func current(for rows: [GovernedRow], batchID: String) -> [Digest128: CurrentRecord] {
        var current: [Digest128: CurrentRecord] = [:]
        for row in rows where row.status != .rejected {
            guard let entry = self[row.keyHash] else { continue }
            current[row.keyHash] = CurrentRecord(
                sequence: 0, version: Int(entry.version), sourceUnit: sourceUnits[Int(entry.source)], contentHash: entry.contentHash, batchID: batchID,
                rowNumber: Int(entry.row)
            )
        }
        return current
    }

    /// Remembers a chunk's effect on current records.
    mutating func record(_ latest: [Digest128: CurrentRecord]) {
        if (count + latest.count) * 4 > slots.count * 3 { grow(to: count + latest.count) }
        var lastSource: (unit: String, number: UInt32)?
        for (key, record) in latest {
            let source: UInt32
            if let lastSource, lastSource.unit == record.sourceUnit {
                source = lastSource.number
            } else if let number = sourceNumbers[record.sourceUnit] {
                source = number
            } else {
                source = UInt32(sourceUnits.count)
                sourceUnits.append(record.sourceUnit)
                sourceNumbers[record.sourceUnit] = source
            }
            lastSource = (record.sourceUnit, source)
            let index = slot(key)
            if slots[index].version == 0 { count += 1 }
            slots[index] = Entry(
                key: key, contentHash: record.contentHash, version: max(1, Int32(clamping: record.version)), row: Int32(clamping: record.rowNumber), source: source
            )
        }
    }

    /// At most three quarters full: probes stay short (the keys are uniform) and the table is no
    /// larger than a `Dictionary` of the same entries.
    private mutating func grow(to needed: Int) {
        var capacity = slots.count
        while needed * 4 > capacity * 3 { capacity *= 2 }
        let old = slots
        slots = [Entry](repeating: .empty, count: capacity)
        for entry in old where entry.version != 0 {
            slots[slot(entry.key)] = entry
        }
    }
}
