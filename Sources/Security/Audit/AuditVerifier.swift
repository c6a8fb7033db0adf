import Crypto
import CreditKernel
import Foundation
import Storage

/// Checks the audit chain: every entry's hash, the links between entries, gaps in the sequence,
/// checkpoint and purge-marker signatures.
public enum AuditVerifier {
    public struct Report: Sendable, Hashable {
        public var entriesChecked: Int
        public var checkpointsChecked: Int
        public var firstSequence: Int64
        public var lastSequence: Int64
        /// The first problem found, naming the entry; nil when the chain is intact.
        public var problem: String?
        public var problemSequence: Int64?

        public var isIntact: Bool { problem == nil }
    }

    /// Checks the chain in the store. `trustedKeys` are the hex public keys whose signatures count:
    /// the node's key and any earlier ones; a checkpoint or marker signed by another key is a
    /// problem, since whoever rewrites the log can sign with a key of their own.
    public static func verify(_ store: any CreditStore, trustedKeys: Set<String>, pageSize: Int = 5000) async throws -> Report {
        let markers = try await store.audit.purgeMarkers()
        var report = Report(entriesChecked: 0, checkpointsChecked: 0, firstSequence: 0, lastSequence: 0, problem: nil, problemSequence: nil)
        for marker in markers {
            let message = AuditPurgeMarker.message(throughSequence: marker.throughSequence, throughHash: marker.throughHash, at: marker.at)
            if let problem = signatureProblem(signature: marker.signature, message: message, publicKey: marker.publicKey, trustedKeys: trustedKeys) {
                report.problem = "the retention marker through entry \(marker.throughSequence) \(problem)"
                report.problemSequence = marker.throughSequence
                return report
            }
        }
        var expected = (markers.last?.throughSequence ?? 0) + 1
        var previousHash = markers.last?.throughHash ?? AuditChain.genesis
        report.firstSequence = expected
        var hashes: [Int64: String] = [:]
        let checkpoints = try await store.audit.checkpoints()
        let checkpointSequences = Set(checkpoints.map(\.sequence))
        while true {
            let page = try await store.audit.entries(from: expected, limit: pageSize)
            // A page starting past `expected` means entries are missing.
            if let first = page.first, first.sequence != expected, report.problem == nil {
                report.problem = "entry \(expected) is missing: the chain jumps from \(expected - 1) to \(first.sequence)"
                report.problemSequence = expected
                return report
            }
            for entry in page {
                if entry.sequence != expected {
                    report.problem = "entry \(expected) is missing: the chain jumps from \(expected - 1) to \(entry.sequence)"
                    report.problemSequence = expected
                    return report
                }
                if entry.previousHash != previousHash {
                    report.problem = "entry \(entry.sequence) does not follow entry \(entry.sequence - 1): its previous-hash link is broken"
                    report.problemSequence = entry.sequence
                    return report
                }
                if AuditChain.expectedHash(of: entry) != entry.hash {
                    report.problem = "entry \(entry.sequence) was altered: its content no longer matches its hash (\(entry.action) on \(entry.target))"
                    report.problemSequence = entry.sequence
                    return report
                }
                if checkpointSequences.contains(entry.sequence) { hashes[entry.sequence] = entry.hash }
                previousHash = entry.hash
                report.lastSequence = entry.sequence
                report.entriesChecked += 1
                expected += 1
            }
            if page.count < pageSize { break }
        }
        for checkpoint in checkpoints {
            if let problem = signatureProblem(signature: checkpoint.signature, message: checkpoint.signedMessage, publicKey: checkpoint.publicKey, trustedKeys: trustedKeys) {
                report.problem = "the checkpoint at entry \(checkpoint.sequence) \(problem)"
                report.problemSequence = checkpoint.sequence
                return report
            }
            guard let hash = hashes[checkpoint.sequence] else {
                report.problem = "entry \(checkpoint.sequence), signed by a checkpoint, is missing (the log was cut short)"
                report.problemSequence = checkpoint.sequence
                return report
            }
            guard hash == checkpoint.hash else {
                report.problem = "entry \(checkpoint.sequence) differs from the hash its checkpoint signed"
                report.problemSequence = checkpoint.sequence
                return report
            }
            report.checkpointsChecked += 1
        }
        return report
    }

    /// Why a signature does not count, or nil when it does.
    static func signatureProblem(signature: String, message: Data, publicKey: String, trustedKeys: Set<String>) -> String? {
        guard trustedKeys.contains(publicKey.lowercased()) else { return "is signed by a key this node does not trust (\(publicKey.prefix(16))…)" }
        guard NodeKeys.verify(signature: signature, message: message, publicKey: publicKey) else { return "has a bad signature" }
        return nil
    }
}

/// A signed, self-verifying copy of part of the audit log, for auditors and inspections.
public struct AuditBundle: Sendable, Codable {
    public var format = "credithub-audit-bundle/1"
    public var exportedAt: Date
    /// The entry before the first one in the bundle, which anchors the chain.
    public var anchorSequence: Int64
    public var anchorHash: String
    public var entries: [AuditEntry]
    public var checkpoints: [AuditCheckpoint]
    public var publicKey: String
    /// Signature over the SHA-256 of the bundle's other fields (see ``digest``).
    public var signature: String

    /// What the signature covers: the anchor and every entry hash and checkpoint, in order.
    public var digest: Data {
        var hasher = SHA256()
        hasher.update(data: Data("\(format)\n\(AuditChain.milliseconds(exportedAt))\n\(anchorSequence)\n\(anchorHash)\n".utf8))
        for entry in entries { hasher.update(data: Data("\(entry.sequence):\(entry.hash)\n".utf8)) }
        for checkpoint in checkpoints { hasher.update(data: Data("c\(checkpoint.sequence):\(checkpoint.hash):\(checkpoint.signature)\n".utf8)) }
        return Data(hasher.finalize())
    }

    /// Entries from `from` through `to` (inclusive), with the checkpoints among them, signed.
    public static func export(_ store: any CreditStore, keys: NodeKeys, fromTime: Date?, toTime: Date?) async throws -> AuditBundle {
        var selected: [AuditEntry] = []
        var cursor: Int64 = 1
        while true {
            let page = try await store.audit.entries(from: cursor, limit: 5000)
            for entry in page where (fromTime.map { entry.at >= $0 } ?? true) && (toTime.map { entry.at < $0 } ?? true) {
                selected.append(entry)
            }
            guard let last = page.last, page.count == 5000 else { break }
            cursor = last.sequence + 1
        }
        let first = selected.first
        let range = (first?.sequence ?? 0)...(selected.last?.sequence ?? 0)
        var bundle = AuditBundle(
            exportedAt: Date(timeIntervalSince1970: Double(AuditChain.milliseconds(Date())) / 1000),
            anchorSequence: (first?.sequence ?? 1) - 1,
            anchorHash: first?.previousHash ?? AuditChain.genesis,
            entries: selected,
            checkpoints: try await store.audit.checkpoints().filter { range.contains($0.sequence) },
            publicKey: keys.publicKeyHex,
            signature: ""
        )
        bundle.signature = try keys.sign(bundle.digest)
        return bundle
    }

    /// Checks the bundle on its own: signature, chain from the anchor, contiguity, checkpoints.
    /// With `trustedKeys`, the bundle and its checkpoints must also be signed by one of them (the
    /// node's published public key); without, the signer is whatever key the bundle names.
    public func verify(trustedKeys: Set<String>? = nil) -> String? {
        if let trustedKeys, !trustedKeys.contains(publicKey.lowercased()) {
            return "the bundle is signed by \(publicKey), not by a trusted key"
        }
        guard NodeKeys.verify(signature: signature, message: digest, publicKey: publicKey) else {
            return "the bundle's signature does not match its contents"
        }
        var expected = anchorSequence + 1
        var previous = anchorHash
        var hashes: [Int64: String] = [:]
        for entry in entries {
            guard entry.sequence == expected else { return "entry \(expected) is missing from the bundle" }
            guard entry.previousHash == previous else { return "entry \(entry.sequence) does not follow entry \(entry.sequence - 1)" }
            guard AuditChain.expectedHash(of: entry) == entry.hash else { return "entry \(entry.sequence) was altered" }
            hashes[entry.sequence] = entry.hash
            previous = entry.hash
            expected += 1
        }
        for checkpoint in checkpoints {
            if let problem = AuditVerifier.signatureProblem(
                signature: checkpoint.signature, message: checkpoint.signedMessage, publicKey: checkpoint.publicKey, trustedKeys: trustedKeys ?? [publicKey.lowercased()]
            ) {
                return "the checkpoint at entry \(checkpoint.sequence) \(problem)"
            }
            guard hashes[checkpoint.sequence] == checkpoint.hash else { return "the checkpoint at entry \(checkpoint.sequence) does not match its entry" }
        }
        return nil
    }
}

/// Retention: removes whole checkpointed segments whose every entry has outlived its class.
public enum AuditRetention {
    /// Purges through the last checkpoint before the first entry still within its retention, and
    /// leaves a signed marker; returns the marker, or nil when nothing may go yet.
    public static func purge(_ store: any CreditStore, keys: NodeKeys, now: Date = Date()) async throws -> AuditPurgeMarker? {
        let checkpoints = try await store.audit.checkpoints()
        guard !checkpoints.isEmpty else { return nil }
        // The first entry that must stay.
        var firstKept: Int64 = .max
        var cursor = (try await store.audit.purgeMarkers().last?.throughSequence ?? 0) + 1
        scan: while true {
            let page = try await store.audit.entries(from: cursor, limit: 5000)
            for entry in page {
                let expires = Calendar(identifier: .gregorian).date(byAdding: .year, value: entry.retentionYears, to: entry.at) ?? entry.at
                if expires > now {
                    firstKept = entry.sequence
                    break scan
                }
            }
            guard let last = page.last, page.count == 5000 else { break }
            cursor = last.sequence + 1
        }
        guard let boundary = checkpoints.last(where: { $0.sequence < firstKept }) else { return nil }
        let at = Date(timeIntervalSince1970: Double(AuditChain.milliseconds(now)) / 1000)
        let marker = AuditPurgeMarker(
            throughSequence: boundary.sequence, throughHash: boundary.hash, at: at, publicKey: keys.publicKeyHex,
            signature: try keys.sign(AuditPurgeMarker.message(throughSequence: boundary.sequence, throughHash: boundary.hash, at: at))
        )
        try await store.audit.purge(through: marker)
        return marker
    }
}
