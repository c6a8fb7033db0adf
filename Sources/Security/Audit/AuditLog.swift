import CreditKernel
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// The audit log's front: callers `record` an entry and resume only once it is durable.
///
/// Group commit: entries arriving while a write is in flight go together in the next write, so
/// the log keeps up with any request rate the store can sustain. Every `checkpointEvery` entries
/// or `checkpointInterval`, the chain's head is signed with the node key.
public actor AuditLog: AuditRecording {
    let store: any CreditStore
    let keys: NodeKeys
    let logger: Logger
    let checkpointEvery: Int
    let checkpointInterval: Duration
    private var pending: [(record: AuditRecord, waiter: CheckedContinuation<AuditEntry, any Error>)] = []
    private var writing = false
    private var sinceCheckpoint = 0
    private var lastCheckpoint = ContinuousClock.now

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
        try await withCheckedThrowingContinuation { continuation in
            pending.append((record, continuation))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    /// Writes pending entries in batches until none are left.
    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(1000))
            pending.removeFirst(batch.count)
            do {
                let entries = try await store.audit.append(batch.map(\.record))
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
                for (item, entry) in zip(batch, entries) { item.waiter.resume(returning: entry) }
            } catch {
                logger.error("audit write failed", metadata: ["error": "\(error)", "entries": "\(batch.count)"])
                for item in batch { item.waiter.resume(throwing: error) }
            }
        }
        writing = false
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
