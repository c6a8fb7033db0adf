/// The life of one batch through the pipeline, as a pure state machine: events in, actions out.
///
/// The store persists `status` and `processedRows` with every committed chunk, so after a crash a
/// job rebuilt from the store resumes exactly after the last committed row.
public struct IngestionJob: Sendable, Hashable {
    public private(set) var status: BatchStatus
    /// Data rows whose results are committed.
    public private(set) var processedRows: Int

    public init(status: BatchStatus = .received, processedRows: Int = 0) {
        self.status = status
        self.processedRows = processedRows
    }

    public enum Event: Sendable, Hashable {
        /// A worker picks the batch up (first time, or again after a restart).
        case start
        /// A chunk of `rows` data rows was committed.
        case chunkCommitted(rows: Int)
        /// The decoder reached the end of the artefact.
        case endOfInput
        /// The artefact cannot be read at all, or from some row on.
        case unreadable
        /// Processing it took the process down again and again before it got past the same row.
        case interruptedTooOften
    }

    public enum Action: Sendable, Hashable {
        /// Decode the artefact from the start, skipping the first `skippingRows` data rows (already committed).
        case decode(skippingRows: Int)
        /// Nothing to do: the batch already has its result.
        case alreadyFinished
        /// Persist the progress.
        case recordProgress(processedRows: Int)
        /// Write the receipt and mark the batch completed.
        case complete
        /// Write the receipt with the reason and mark the batch failed.
        case fail
    }

    public struct InvalidTransition: Error, Hashable, CustomStringConvertible {
        public var from: BatchStatus
        public var event: Event
        public var description: String { "ingestion job: event \(event) is not valid in state \(from.rawValue)" }
    }

    public mutating func handle(_ event: Event) throws(InvalidTransition) -> Action {
        switch (status, event) {
        case (.completed, .start), (.failed, .start):
            return .alreadyFinished
        case (.received, .start), (.processing, .start):
            status = .processing
            return .decode(skippingRows: processedRows)
        case (.processing, .chunkCommitted(let rows)) where rows >= 0:
            processedRows += rows
            return .recordProgress(processedRows: processedRows)
        case (.processing, .endOfInput):
            status = .completed
            return .complete
        case (.processing, .unreadable), (.received, .unreadable), (.processing, .interruptedTooOften):
            status = .failed
            return .fail
        default:
            throw InvalidTransition(from: status, event: event)
        }
    }
}
