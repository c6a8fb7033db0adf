import AsyncAlgorithms
import CreditKernel
import Foundation
import Governance
import Logging
import Storage

/// The collection pipeline: receive → raw store → decode → govern → one data one source → base
/// store, theme and change feed → receipt. Every channel's adapter ends here.
public final class Collector: CollectionService, Sendable {
    public let store: any CreditStore
    public let raw: RawStore
    public let configuration: IngestionConfiguration
    let logger: Logger
    /// Batch ids for the worker, in the order they were received.
    let queue: (stream: AsyncStream<String>, continuation: AsyncStream<String>.Continuation)
    /// Signals after each committed chunk, for the theme projector.
    public let commits: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    let finishSignals = BatchFinishSignals()

    /// Where submissions and their outcomes are audited; nil only in tests of the pipeline alone.
    let audit: (any AuditRecording)?

    public init(store: any CreditStore, raw: RawStore, configuration: IngestionConfiguration = .init(), audit: (any AuditRecording)? = nil, logger: Logger) {
        self.store = store
        self.audit = audit
        self.raw = raw
        self.configuration = configuration
        self.logger = logger
        queue = AsyncStream.makeStream(of: String.self)
        commits = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: - Receive

    public func submit(_ submission: Submission) async throws -> Acknowledgement {
        guard UnifiedSocialCreditCode.isValid(submission.sourceUnit) else {
            throw CreditHubError(code: "invalid_source_unit", message: "the submitting unit '\(submission.sourceUnit)' is not a valid unified social credit code")
        }
        guard let stored = try await store.catalogue.resource(id: submission.resourceID) else {
            throw CreditHubError(code: "unknown_resource", message: "no resource '\(submission.resourceID)' in the catalogue")
        }
        let resource = stored.resource
        guard resource.channels.contains(submission.channel) else {
            throw CreditHubError(
                code: IssueCode.notPermitted.rawValue,
                message: "\(resource.name) (\(resource.id)) is not collected through the \(submission.channel.rawValue) channel; allowed: \(resource.channels.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard resource.sourceUnits.isEmpty || resource.sourceUnits.contains(where: { $0.code == submission.sourceUnit }) else {
            throw CreditHubError(code: IssueCode.notPermitted.rawValue, message: "unit \(submission.sourceUnit) is not a source unit of \(resource.id)")
        }
        let artefact = try await raw.store(submission.artefact)
        let (batch, created) = try await store.collection.createBatch(
            NewBatch(
                id: Self.newBatchID(), resourceID: resource.id, resourceVersion: stored.version, sourceUnit: submission.sourceUnit,
                channel: submission.channel, sha256: artefact.sha256, size: artefact.size, fileName: submission.fileName,
                format: submission.format, declaredEncoding: submission.declaredEncoding, idempotencyKey: submission.idempotencyKey,
                submittedBy: submission.submittedBy, receivedAt: Date()
            )
        )
        logger.info(
            created ? "batch received" : "submission repeats a batch",
            metadata: ["batch": "\(batch.batch.id)", "resource": "\(resource.id)", "source_unit": "\(submission.sourceUnit)", "bytes": "\(artefact.size)", "sha256": "\(artefact.sha256)"]
        )
        try await audit?.record(
            AuditRecord(
                actor: submission.actor, action: "submission.receive", target: batch.batch.id,
                details: [
                    "resource": resource.id, "channel": submission.channel.rawValue, "sha256": artefact.sha256, "bytes": String(artefact.size),
                    "file": submission.fileName ?? "", "repeat": created ? "no" : "yes",
                ],
                retentionYears: resource.logRetention.years
            )
        )
        if batch.status == .received || batch.status == .processing {
            queue.continuation.yield(batch.batch.id)
        }
        return Acknowledgement(batch: batch.batch.id, status: batch.status, existing: !created, sha256: artefact.sha256)
    }

    /// `B` + UTC time + random: sortable, unguessable, readable on the phone.
    static func newBatchID(now: Date = Date()) -> String {
        let day = CalendarDate(daysSinceEpoch: Int(now.timeIntervalSince1970) / 86400)
        let second = Int(now.timeIntervalSince1970) % 86400
        let time = String(format: "%02d%02d%02d", second / 3600, second % 3600 / 60, second % 60)
        let random = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "B\(day.compactValue)\(time)-\(random)"
    }

    // MARK: - Process

    enum ProducerMessage: Sendable {
        case started(BatchDecoding)
        case chunk(GovernedRowReader.Chunk)
        case finished(BatchDecoding)
        case unreadable(Issue)
    }

    /// Processes a batch to the end (or resumes it after the last committed chunk) and returns it.
    @discardableResult
    public func process(batchID: String) async throws -> StoredBatch {
        defer { finishSignals.finished(batchID) }
        guard let batch = try await store.collection.batch(id: batchID) else {
            throw CreditHubError(code: "batch_not_found", message: "no batch \(batchID)")
        }
        var job = IngestionJob(status: batch.status, processedRows: batch.processedRows)
        guard case .decode(let skip) = try job.handle(.start) else { return batch }
        let resource = try await resourceVersion(of: batch)
        let governor = ResourceGovernor(resource: resource, today: .today(now: batch.batch.receivedAt))
        let path = raw.path(sha256: batch.batch.sha256)
        let format = ArtefactDecoding.format(declared: batch.batch.format, fileName: batch.batch.fileName, path: path)
        let declaredEncoding = batch.batch.declaredEncoding
        let sourceUnit = batch.batch.sourceUnit
        let chunkSize = configuration.chunkSize
        let parallelism = configuration.parallelism
        let classifier = ChunkClassifier(resourceID: resource.id, batchID: batchID, recordedAt: Date())
        let started = ContinuousClock.now
        if skip > 0 { logger.info("resuming batch", metadata: ["batch": "\(batchID)", "after_row": "\(skip)"]) }

        // A batch that took the server down at the same row several times would do so again on
        // every restart: it is failed at that row instead, keeping the rows before it.
        let interruptedStarts = try await store.collection.claimBatch(id: batchID)
        if interruptedStarts > configuration.maximumInterruptedStarts {
            _ = try job.handle(.interruptedTooOften)
            let reason = CreditHubError(
                code: IssueCode.processingInterrupted.rawValue,
                message: "processing this batch stopped the server \(interruptedStarts - 1) times after data row \(job.processedRows); it was stopped there, and the rows before it were processed",
                chineseMessage: "处理本批次时服务在第 \(job.processedRows) 行之后已 \(interruptedStarts - 1) 次意外中断，已在此停止处理（此前的行已照常处理）；请联系平台运维人员"
            )
            try await store.collection.finishBatch(id: batchID, status: .failed, completedAt: Date(), batchProblems: [Issue(batchProblem: reason)])
            logger.error("batch stopped after interrupting the server repeatedly", metadata: ["batch": "\(batchID)", "after_row": "\(job.processedRows)", "starts": "\(interruptedStarts)"])
        } else {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let channel = AsyncThrowingChannel<ProducerMessage, any Error>()
                    // Decoding and governance run ahead of the database writes, one chunk at a time.
                    group.addTask {
                        do {
                            let reader: GovernedRowReader
                            do {
                                reader = try GovernedRowReader(path: path, format: format, declaredEncoding: declaredEncoding, governor: governor, submittingUnit: sourceUnit)
                            } catch let error as CreditHubError {
                                await channel.send(.unreadable(Issue(batchProblem: error)))
                                channel.finish()
                                return
                            } catch let error as GovernedRowReader.HeaderProblem {
                                // The receipt still says how the file was read, and which header it had.
                                await channel.send(.started(error.decoding))
                                await channel.send(.unreadable(Issue(batchProblem: error.problem)))
                                channel.finish()
                                return
                            }
                            await channel.send(.started(reader.decoding))
                            do {
                                try reader.skip(skip)
                                try await reader.governChunks(chunkSize, parallelism: parallelism) { chunk in
                                    await channel.send(.chunk(chunk))
                                }
                            } catch let error as CreditHubError {
                                // Damaged part-way: reading again would meet the same damage, so the batch
                                // ends here, keeping the rows before it.
                                await channel.send(.unreadable(Issue(batchProblem: error)))
                                channel.finish()
                                return
                            }
                            await channel.send(.finished(reader.decoding))
                            channel.finish()
                        } catch {
                            channel.fail(error)
                        }
                    }
                    // Chunk N is classified (against the store and chunk N-1's results) while chunk N-1 is
                    // written: the database is never idle waiting for a lookup.
                    try await withThrowingTaskGroup(of: (positionAfter: Int, written: WrittenChunk).self) { writes in
                        var writing = false
                        var overlay = Overlay()
                        var previousPositions: ClosedRange<Int64>?
                        // A resumed batch goes on with the problem rows it already listed.
                        var allowance = ProblemAllowance(
                            maximum: self.configuration.maximumProblemRows, listed: skip > 0 ? try await self.store.collection.problemCounts(batchID: batchID) : [:]
                        )
                        func finishWrite() async throws {
                            guard writing, let (positionAfter, written) = try await writes.next() else { return }
                            writing = false
                            previousPositions = written.positions
                            allowance = written.allowance
                            _ = try job.handle(.chunkCommitted(rows: positionAfter - job.processedRows))
                        }
                        for try await message in channel {
                            switch message {
                            case .unreadable(let issue):
                                try await finishWrite()
                                _ = try job.handle(.unreadable)
                                try await store.collection.finishBatch(id: batchID, status: .failed, completedAt: Date(), batchProblems: [issue])
                                logger.warning("batch unreadable", metadata: ["batch": "\(batchID)", "reason": "\(issue.message)"])
                            case .started(let decoding):
                                try await store.collection.startBatch(id: batchID, decoding: decoding)
                            case .chunk(let chunk):
                                let prepared = try await prepare(chunk, overlay: overlay, classifier: classifier)
                                try await finishWrite()
                                let before = job.processedRows
                                let previous = previousPositions
                                let allowance = allowance
                                writes.addTask {
                                    let written = try await self.write(
                                        prepared, batchID: batchID, processedBefore: before, previousPositions: previous, allowance: allowance, classifier: classifier
                                    )
                                    return (chunk.positionAfter, written)
                                }
                                writing = true
                                overlay = prepared.overlay
                            case .finished(let decoding):
                                try await finishWrite()
                                try await store.collection.startBatch(id: batchID, decoding: decoding)
                                _ = try job.handle(.endOfInput)
                                try await store.collection.finishBatch(id: batchID, status: .completed, completedAt: Date(), batchProblems: [])
                            }
                        }
                        try await finishWrite()
                    }
                    try await group.waitForAll()
                }
            } catch {
                // It ended without taking the server down (an error, a shutdown): not an interruption.
                try? await store.collection.releaseBatch(id: batchID)
                throw error
            }
        }
        guard let finished = try await store.collection.batch(id: batchID) else {
            throw CreditHubError(code: "batch_not_found", message: "batch \(batchID) disappeared")
        }
        CollectionMetrics.ended(finished.status, resource: resource.id, after: ContinuousClock.now - started)
        try await audit?.record(
            AuditRecord(
                actor: .platform, action: "submission.complete", target: batchID, outcome: finished.status == .completed ? .success : .failure,
                details: [
                    "resource": resource.id, "status": finished.status.rawValue, "total": String(finished.rows.total), "accepted": String(finished.rows.accepted),
                    "rejected": String(finished.rows.rejected), "duplicate": String(finished.rows.duplicate), "conflict": String(finished.rows.conflict),
                ],
                retentionYears: resource.logRetention.years
            )
        )
        logger.info(
            "batch processed",
            metadata: [
                "batch": "\(batchID)", "status": "\(finished.status.rawValue)", "rows": "\(finished.rows.total)",
                "accepted": "\(finished.rows.accepted)", "rejected": "\(finished.rows.rejected)", "duplicate": "\(finished.rows.duplicate)",
                "conflict": "\(finished.rows.conflict)", "problems_omitted": "\(finished.problemsOmitted)", "elapsed": "\(ContinuousClock.now - started)",
            ]
        )
        return finished
    }

    /// Processes a failed batch again from after its last committed row, once what failed it is put
    /// right (the fault behind `processing_interrupted` fixed): the same bytes submitted again only
    /// return the failed batch. The retry is audited.
    /// - Throws: `batch_not_found`, or `batch_not_failed` for a batch that is not failed.
    @discardableResult
    public func retry(batchID: String, actor: AuditActor) async throws -> StoredBatch {
        guard let stored = try await store.collection.batch(id: batchID) else {
            throw CreditHubError(code: "batch_not_found", message: "no batch \(batchID)")
        }
        guard try await store.collection.reopenBatch(id: batchID) else {
            throw CreditHubError(code: "batch_not_failed", message: "batch \(batchID) is \(stored.status.rawValue); only a failed batch is retried")
        }
        try await audit?.record(
            AuditRecord(
                actor: actor, action: "submission.retry", target: batchID,
                details: ["after_row": String(stored.processedRows), "problems": stored.batchProblems.map(\.code.rawValue).joined(separator: ",")]
            )
        )
        logger.info("batch reopened", metadata: ["batch": "\(batchID)", "after_row": "\(stored.processedRows)"])
        return try await process(batchID: batchID)
    }

    /// What a classified chunk changes, for classifying the next chunk before this one is written.
    struct Overlay: Sendable {
        var records: [Digest128: CurrentRecord] = [:]
        var conflicts: [ConflictIdentity: String] = [:]
    }

    /// A chunk classified and ready to write.
    struct PreparedChunk: Sendable {
        var chunk: GovernedRowReader.Chunk
        var keys: [Digest128]
        var head: Int64
        var outcome: ChunkClassifier.Outcome
        var overlay: Overlay
    }

    /// Looks up the chunk's records in the store, lays the previous chunk's results over them and
    /// classifies the chunk.
    private func prepare(_ chunk: GovernedRowReader.Chunk, overlay: Overlay, classifier: ChunkClassifier) async throws -> PreparedChunk {
        let accepted = chunk.rows.filter { $0.status != .rejected }
        let keys = accepted.map(\.keyHash)
        let clock = ContinuousClock()
        let start = clock.now
        var (current, head) = keys.isEmpty ? ([:], 0) : try await store.collection.currentRecords(keyHashes: keys)
        let looked = clock.now
        // The previous chunk's effect, for this chunk's keys only: merging all of it copied 20,000
        // entries a chunk into a dictionary that only this chunk's keys are looked up in.
        for key in keys {
            if let overlaid = overlay.records[key] { current[key] = overlaid }
        }
        // Only rows whose current record comes from another source can be conflicts.
        let contested = accepted.filter { row in current[row.keyHash].map { $0.sourceUnit != row.sourceUnit && $0.contentHash != row.contentHash } ?? false }
        var open = contested.isEmpty ? [:] : try await store.collection.openConflicts(keyHashes: contested.map(\.keyHash))
        open.merge(overlay.conflicts) { stored, _ in stored }
        let outcome = classifier.classify(chunk.rows, current: current, openConflicts: open)
        logger.debug("chunk classified", metadata: ["rows": "\(chunk.rows.count)", "lookup": "\(looked - start)", "classify": "\(clock.now - looked)"])
        var next = Overlay(records: outcome.current)
        for conflict in outcome.conflicts { next.conflicts[conflict.identity] = conflict.id }
        return PreparedChunk(chunk: chunk, keys: keys, head: head, outcome: outcome, overlay: next)
    }

    /// What writing a chunk did.
    struct WrittenChunk: Sendable {
        /// The change-feed positions its versions took.
        var positions: ClosedRange<Int64>?
        /// The batch's allowance for problem rows after this chunk's.
        var allowance: ProblemAllowance
    }

    /// Writes a classified chunk, storing the problem rows `allowance` admits (the rest are counted
    /// as omitted); if another writer changed one of its records meanwhile, the chunk is looked up
    /// and classified again (the previous chunk, at `previousPositions`, is written by then).
    private func write(
        _ prepared: PreparedChunk, batchID: String, processedBefore: Int, previousPositions: ClosedRange<Int64>?, allowance: ProblemAllowance,
        classifier: ChunkClassifier
    ) async throws -> WrittenChunk {
        var prepared = prepared
        var attempt = 1
        while true {
            let clock = ContinuousClock()
            let start = clock.now
            let problems = allowance.admitting(prepared.outcome.problems)
            do {
                let positions = try await store.collection.commitChunk(
                    ChunkCommit(
                        batchID: batchID, processedRowsBefore: processedBefore, processedRowsAfter: prepared.chunk.positionAfter,
                        counts: prepared.outcome.counts, tally: prepared.outcome.tally, observedHead: prepared.head,
                        previousChunkPositions: previousPositions, keyHashes: prepared.keys, versions: prepared.outcome.versions,
                        conflicts: prepared.outcome.conflicts, problems: problems.listed, problemsOmitted: problems.omitted
                    )
                )
                logger.debug("chunk written", metadata: ["rows": "\(prepared.chunk.rows.count)", "commit": "\(clock.now - start)"])
                CollectionMetrics.committed(prepared.outcome.counts, resource: classifier.resourceID)
                commits.continuation.yield()
                return WrittenChunk(positions: positions, allowance: problems.after)
            } catch is StaleChunkError where attempt < 5 {
                logger.debug("chunk raced another writer; classifying again", metadata: ["batch": "\(batchID)", "attempt": "\(attempt)"])
                prepared = try await prepare(prepared.chunk, overlay: Overlay(), classifier: classifier)
                attempt += 1
            }
        }
    }

    /// The catalogue version the batch was received under: rules do not change under an
    /// acknowledged batch when the catalogue is edited.
    private func resourceVersion(of batch: StoredBatch) async throws -> Resource {
        let history = try await store.catalogue.history(resourceID: batch.batch.resourceID)
        guard let version = history.first(where: { $0.version == batch.batch.resourceVersion }) ?? history.last else {
            throw CreditHubError(code: "unknown_resource", message: "resource \(batch.batch.resourceID) is no longer in the catalogue")
        }
        return version.resource
    }

    // MARK: - Results

    public func summary(batch: String) async throws -> BatchSummary? {
        try await store.collection.batch(id: batch).map(Self.summary)
    }

    public func summaries(sourceUnit: String, limit: Int) async throws -> [BatchSummary] {
        try await store.collection.batches(sourceUnit: sourceUnit, limit: limit).map(Self.summary)
    }

    static func summary(_ stored: StoredBatch) -> BatchSummary {
        BatchSummary(
            batch: stored.batch.id, resource: stored.batch.resourceID, sourceUnit: stored.batch.sourceUnit, channel: stored.batch.channel,
            status: stored.status, fileName: stored.batch.fileName, sha256: stored.batch.sha256, size: stored.batch.size,
            receivedAt: stored.batch.receivedAt, completedAt: stored.completedAt, processedRows: stored.processedRows, rows: stored.rows,
            quality: stored.quality
        )
    }

    public func waitForCompletion(batch: String, timeout: Duration) async throws -> BatchSummary? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let finished = finishSignals.register(batch)
            defer { finishSignals.release(batch, finished) }
            guard let summary = try await summary(batch: batch) else { return nil }
            let now = ContinuousClock.now
            if summary.status == .completed || summary.status == .failed || now >= deadline || Task.isCancelled { return summary }
            // This process signals its own batches; one that another replica resumed shows up by polling.
            await finished.wait(atMost: min(deadline - now, .seconds(1)))
        }
    }

    public func receiptSummary(batch: String) async throws -> Receipt? {
        guard let stored = try await store.collection.batch(id: batch) else { return nil }
        return Receipt(
            batch: stored.batch.id, resource: stored.batch.resourceID, sourceUnit: stored.batch.sourceUnit, channel: stored.batch.channel,
            fileName: stored.batch.fileName, format: stored.decoding?.format ?? stored.batch.format,
            encoding: stored.decoding?.encoding ?? stored.batch.declaredEncoding, status: stored.status, receivedAt: stored.batch.receivedAt,
            completedAt: stored.completedAt, rows: stored.rows, quality: stored.quality, unknownColumns: stored.decoding?.unknownColumns ?? [],
            missingColumns: stored.decoding?.missingColumns ?? [], batchProblems: stored.batchProblems, problems: [], problemsOmitted: stored.problemsOmitted,
            sheet: stored.decoding?.sheet
        )
    }

    public func problems(batch: String, afterRow: Int, limit: Int) async throws -> [ProblemRow] {
        try await store.collection.problems(batchID: batch, afterRow: afterRow, limit: limit).map(\.problem)
    }

    public func problemRowsJSON(batch: String, afterRow: Int, limit: Int) async throws -> [ProblemRowJSON] {
        try await store.collection.problemRowsJSON(batchID: batch, afterRow: afterRow, limit: limit)
    }

    public func writeRejectedRowsCSV(batch: String, pageRows: Int, to emit: (Data) async throws -> Void) async throws -> Bool {
        guard let stored = try await store.collection.batch(id: batch) else { return false }
        let resource = try await resourceVersion(of: stored)
        let csv = RejectedRowsCSV(header: stored.decoding.flatMap { $0.header.isEmpty ? nil : $0.header } ?? resource.fields.map(\.id))
        try await emit(csv.head())
        var after = 0
        while true {
            let page = try await store.collection.problems(batchID: batch, afterRow: after, limit: pageRows)
            guard let last = page.last else { return true }
            let rejected = page.filter { $0.problem.status == .rejected }
            if !rejected.isEmpty { try await emit(csv.lines(rejected)) }
            after = last.problem.row
        }
    }
}

/// The rejected rows of a batch as a CSV a provider opens in Excel, fixes and submits again:
/// the original columns, then the row's original position and the reasons.
struct RejectedRowsCSV {
    let header: [String]

    /// The byte-order mark (so Excel reads UTF-8) and the header line.
    func head() -> Data {
        Data([0xEF, 0xBB, 0xBF] + Self.line(header + ["原行号 (row)", "错误原因 (reason)"]))
    }

    func lines(_ rows: [StoredProblem]) -> Data {
        var output: [UInt8] = []
        for row in rows {
            var cells = row.originalCells
            if cells.count < header.count { cells += Array(repeating: "", count: header.count - cells.count) }
            let reasons = row.problem.issues.map(\.message).joined(separator: "；")
            output += Self.line(Array(cells.prefix(header.count)) + [String(row.problem.row), reasons])
        }
        return Data(output)
    }

    static func line(_ cells: [String]) -> [UInt8] {
        Array(cells.map(quote).joined(separator: ",").utf8) + [0x0D, 0x0A]
    }

    static func quote(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || cell.hasPrefix(" ") else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
