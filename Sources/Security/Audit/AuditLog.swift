import CreditKernel
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// The audit log's front: callers `record` an entry and resume only once it is durable.
///
/// Group commit: entries arriving while a write is in flight go together in the next write, so
/// the log keeps up with any request rate the store can sustain. Each write is made by the task of
/// one of its callers (the first waiting when the previous write ends), so no task outlives its
/// request. Every `checkpointEvery` entries or `checkpointInterval`, the chain's head is signed
/// with the node key.
public actor AuditLog: AuditRecording {
    let store: any CreditStore
    let keys: NodeKeys
    let logger: Logger
    let checkpointEvery: Int
    let checkpointInterval: Duration
    /// What a waiting caller is woken with.
    private enum Turn {
        /// Its entry was written in another caller's batch.
        case written(AuditEntry)
        /// It writes the next batch, its own entry first.
        case lead
    }
    private var pending: [(record: AuditRecord, waiter: CheckedContinuation<Turn, any Error>)] = []
    private var writing = false
    private var sinceCheckpoint = 0
    private var lastCheckpoint = ContinuousClock.now
    /// Entries in one write at most.
    static let batchLimit = 1000

    public init(store: any CreditStore, keys: NodeKeys, logger: Logger, checkpointEvery: Int = 1000, checkpointInterval: Duration = .seconds(60)) {
        self.store = store
        self.keys = keys
        self.logger = logger
        self.checkpointEvery = checkpointEvery
        self.checkpointInterval = checkpointInterval
    }

    public func record(_ record: AuditRecord) async throws {
        _ = try await append(record)
    }

    /// Appends an entry and returns it once it is stored.
    @discardableResult
    public func append(_ record: AuditRecord) async throws -> AuditEntry {
        if writing {
            switch try await withCheckedThrowingContinuation({ pending.append((record, $0)) }) {
            case .written(let entry): return entry
            case .lead: return try await lead(with: record)
            }
        }
        writing = true
        return try await lead(with: record)
    }

    /// Writes `record` with the entries waiting (up to the batch limit), wakes their callers, and
    /// hands the next write to the first caller still waiting.
    private func lead(with record: AuditRecord) async throws -> AuditEntry {
        let batch = pending.prefix(Self.batchLimit - 1)
        pending.removeFirst(batch.count)
        let result: Result<[AuditEntry], any Error>
        do {
            result = .success(try await write([record] + batch.map(\.record)))
        } catch {
            logger.error("audit write failed", metadata: ["error": "\(error)", "entries": "\(batch.count + 1)"])
            result = .failure(error)
        }
        switch result {
        case .success(let entries):
            for (item, entry) in zip(batch, entries.dropFirst()) { item.waiter.resume(returning: .written(entry)) }
        case .failure(let error):
            for item in batch { item.waiter.resume(throwing: error) }
        }
        if pending.isEmpty {
            writing = false
        } else {
            pending.removeFirst().waiter.resume(returning: .lead)
        }
        return try result.get()[0]
    }

    /// Stores entries and signs a checkpoint when one is due.
    private func write(_ records: [AuditRecord]) async throws -> [AuditEntry] {
        let entries = try await store.audit.append(records)
        sinceCheckpoint += entries.count
        if let last = entries.last, sinceCheckpoint >= checkpointEvery || ContinuousClock.now - lastCheckpoint >= checkpointInterval {
            // Signed before the callers resume, so a caller that sees its entry also sees the
            // checkpoint that fell due with it. A failed signature does not undo the entries.
            do {
                try await checkpoint(at: last)
            } catch {
                logger.error("audit checkpoint failed; the next one will cover these entries", metadata: ["error": "\(error)", "sequence": "\(last.sequence)"])
            }
        }
        return entries
    }

    /// Signs the chain's head now (also done on shutdown, so the tail is covered).
    public func checkpointHead() async throws {
        let head = try await store.audit.head()
        guard head.sequence > 0, sinceCheckpoint > 0 else { return }
        let entries = try await store.audit.entries(from: head.sequence, limit: 1)
        if let entry = entries.first { try await checkpoint(at: entry) }
    }

    private func checkpoint(at entry: AuditEntry) async throws {
        let at = Date(timeIntervalSince1970: Double(AuditChain.milliseconds(Date())) / 1000)
        let signature = try keys.sign(AuditCheckpoint.message(sequence: entry.sequence, hash: entry.hash, at: at))
        // Reset before the write: the actor is re-entrant, and a second request for the same head
        // meanwhile must find nothing to do (the store ignores a repeated checkpoint anyway).
        let (entries, time) = (sinceCheckpoint, lastCheckpoint)
        sinceCheckpoint = 0
        lastCheckpoint = ContinuousClock.now
        do {
            try await store.audit.addCheckpoint(AuditCheckpoint(sequence: entry.sequence, hash: entry.hash, at: at, publicKey: keys.publicKeyHex, signature: signature))
        } catch {
            sinceCheckpoint += entries
            lastCheckpoint = time
            throw error
        }
    }
}

/// Signs the audit chain's head every interval and at shutdown.
public struct AuditCheckpointService: Service {
    let log: AuditLog
    let interval: Duration

    public init(log: AuditLog, interval: Duration = .seconds(60)) {
        self.log = log
        self.interval = interval
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                try? await log.checkpointHead()
            }
        }
        // The tail written since the last checkpoint is signed before the process ends.
        try? await log.checkpointHead()
    }
}
