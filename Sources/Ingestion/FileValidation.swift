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
    /// is given (the receipt then holds none), so they need not all be in memory at once.
    public static func validate(
        path: String, resource: Resource, sourceUnit: String, format declared: ArtefactFormat?, encoding: TextEncoding?, chunkRows: Int = chunkRows,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, problemSink: (([ProblemRow]) throws -> Void)? = nil
    ) async throws -> Receipt {
        let fileName = (path as NSString).lastPathComponent
        let format = ArtefactDecoding.format(declared: declared, fileName: fileName, path: path)
        let received = Date()
        let governor = ResourceGovernor(resource: resource, today: .today(now: received), recordBodies: .omitted)
        let classifier = ChunkClassifier(resourceID: resource.id, batchID: "validation", recordedAt: received)
        var counts = RowCounts()
        var tally = QualityTally()
        var problems: [ProblemRow] = []
        var seen = SeenRecords()
        func receipt(status: BatchStatus, decoding: BatchDecoding?, batchProblems: [Issue]) -> Receipt {
            Receipt(
                batch: "validation", resource: resource.id, sourceUnit: sourceUnit, channel: .commandLine, fileName: fileName, format: format,
                encoding: decoding?.encoding ?? encoding, status: status, receivedAt: received, completedAt: Date(), rows: counts,
                quality: status == .completed ? tally.scores(rows: counts) : nil, unknownColumns: decoding?.unknownColumns ?? [],
                missingColumns: decoding?.missingColumns ?? [], batchProblems: batchProblems, problems: problems
            )
        }
        let reader: GovernedRowReader
        do {
            reader = try GovernedRowReader(path: path, format: format, declaredEncoding: encoding, governor: governor, submittingUnit: sourceUnit)
        } catch let error as CreditHubError {
            return receipt(status: .failed, decoding: nil, batchProblems: [Issue(batchProblem: error)])
        }
        try await reader.governChunks(maximumRows: chunkRows, parallelism: parallelism) { chunk in
            let outcome = classifier.classify(chunk.rows, current: seen.current(for: chunk.rows, batchID: classifier.batchID), openConflicts: [:])
            seen.record(outcome.current)
            counts = counts + outcome.counts
            tally = tally + outcome.tally
            if let problemSink {
                try problemSink(outcome.problems.map(\.problem))
            } else {
                problems += outcome.problems.map(\.problem)
            }
        }
        return receipt(status: .completed, decoding: reader.decoding, batchProblems: [])
    }
}

/// What validation remembers of each record of a file, to find repeats and conflicts within it:
/// about 32 bytes a record (source units are numbered), so a million-row file costs tens of
/// megabytes rather than a `CurrentRecord` and its strings per row.
struct SeenRecords {
    struct Entry {
        var contentHash: Digest128
        var version: Int32
        var row: Int32
        var source: UInt32
    }

    private var records: [Digest128: Entry] = [:]
    private var sourceUnits: [String] = []
    private var sourceNumbers: [String: UInt32] = [:]

    /// The records a chunk's rows may repeat, as the classifier reads them from a store.
    func current(for rows: [GovernedRow], batchID: String) -> [Digest128: CurrentRecord] {
        var current: [Digest128: CurrentRecord] = [:]
        for row in rows where row.status != .rejected {
            guard let entry = records[row.keyHash] else { continue }
            current[row.keyHash] = CurrentRecord(
                sequence: 0, version: Int(entry.version), sourceUnit: sourceUnits[Int(entry.source)], contentHash: entry.contentHash, batchID: batchID,
                rowNumber: Int(entry.row)
            )
        }
        return current
    }

    /// Remembers a chunk's effect on current records.
    mutating func record(_ latest: [Digest128: CurrentRecord]) {
        for (key, record) in latest {
            let source: UInt32
            if let number = sourceNumbers[record.sourceUnit] {
                source = number
            } else {
                source = UInt32(sourceUnits.count)
                sourceUnits.append(record.sourceUnit)
                sourceNumbers[record.sourceUnit] = source
            }
            records[key] = Entry(contentHash: record.contentHash, version: Int32(clamping: record.version), row: Int32(clamping: record.rowNumber), source: source)
        }
    }
}
