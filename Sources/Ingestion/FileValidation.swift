import CreditKernel
import Foundation
import Governance
import Storage

/// Decoding and governance of one file without a store: what `credithub validate` prints.
public enum FileValidation {
    public static func validate(
        path: String, resource: Resource, sourceUnit: String, format declared: ArtefactFormat?, encoding: TextEncoding?, chunkRows: Int = IngestionConfiguration.defaultChunkRows,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount
    ) async throws -> Receipt {
        let fileName = (path as NSString).lastPathComponent
        let format = ArtefactDecoding.format(declared: declared, fileName: fileName, path: path)
        let received = Date()
        let governor = ResourceGovernor(resource: resource, today: .today(now: received))
        let classifier = ChunkClassifier(resourceID: resource.id, batchID: "validation", recordedAt: received)
        var counts = RowCounts()
        var tally = QualityTally()
        var problems: [ProblemRow] = []
        var current: [Digest128: CurrentRecord] = [:]
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
            return receipt(status: .failed, decoding: nil, batchProblems: [Issue(field: nil, code: IssueCode(rawValue: error.code) ?? .unreadable, message: error.message, messageEnglish: error.message)])
        }
        try await reader.governChunks(maximumRows: chunkRows, parallelism: parallelism) { chunk in
            let outcome = classifier.classify(chunk.rows, current: current, openConflicts: [:])
            current.merge(outcome.current) { _, new in new }
            counts = counts + outcome.counts
            tally = tally + outcome.tally
            problems += outcome.problems.map(\.problem)
        }
        return receipt(status: .completed, decoding: reader.decoding, batchProblems: [])
    }
}
