import Crypto
import Foundation

/// One entry of the tamper-evident audit log.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// Position in the chain, from 1, without gaps.
    public var sequence: Int64
    public var at: Date
    public var actor: AuditActor
    public var sourceIP: String
    /// What was done, e.g. `login`, `role.assign`, `submission.receive`.
    public var action: String
    /// What it was done to, e.g. a person's username, a batch id.
    public var target: String
    public var outcome: AuditOutcome
    /// Further facts as a JSON object (canonical: sorted keys).
    public var details: String
    /// How many years the entry is kept (2, 3 or 5).
    public var retentionYears: Int
    /// Hash of the previous entry (64 zeros for the first).
    public var previousHash: String
    /// SHA-256 over the previous hash and this entry's canonical encoding.
    public var hash: String

    public init(
        sequence: Int64, at: Date, actor: AuditActor, sourceIP: String, action: String, target: String, outcome: AuditOutcome, details: String,
        retentionYears: Int, previousHash: String, hash: String
    ) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.sourceIP = sourceIP
        self.action = action
        self.target = target
        self.outcome = outcome
        self.details = details
        self.retentionYears = retentionYears
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Who did it.
public struct AuditActor: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case person, system, anonymous, platform
    }

    public var kind: Kind
    /// Username, system id or key id; empty for anonymous.
    public var id: String
    /// Unit code, when known.
    public var unit: String

    public init(kind: Kind, id: String, unit: String) {
        self.kind = kind
        self.id = id
        self.unit = unit
    }

    public static let platform = AuditActor(kind: .platform, id: "credithub", unit: "")
    public static let anonymous = AuditActor(kind: .anonymous, id: "", unit: "")
}

public enum AuditOutcome: String, Sendable, Hashable, Codable {
    case success
    case failure
    case denied
}

/// An entry before it has a place in the chain.
public struct AuditRecord: Sendable, Hashable {
    public var at: Date
    public var actor: AuditActor
    public var sourceIP: String
    public var action: String
    public var target: String
    public var outcome: AuditOutcome
    public var details: [String: String]
    public var retentionYears: Int

    public init(
        at: Date = Date(), actor: AuditActor, sourceIP: String = "", action: String, target: String = "", outcome: AuditOutcome = .success,
        details: [String: String] = [:], retentionYears: Int = 3
    ) {
        self.at = at
        self.actor = actor
        self.sourceIP = sourceIP
        self.action = action
        self.target = target
        self.outcome = outcome
        self.details = details
        self.retentionYears = retentionYears
    }
}

/// Where components that must leave an audit trail send their records (the audit log).
public protocol AuditRecording: Sendable {
    /// Stores the record durably before returning.
    func record(_ record: AuditRecord) async throws
}

/// The chain's rules: how an entry is encoded and hashed. The same code writes and verifies.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    /// Details as canonical JSON: keys sorted, no whitespace.
    public static func canonicalDetails(_ details: [String: String]) -> String {
        var output: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in details.keys.sorted().enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendString(key, to: &output)
            output.append(UInt8(ascii: ":"))
            JSONText.appendString(details[key]!, to: &output)
        }
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }

    /// Milliseconds since the epoch: the time as hashed (and stored).
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The entry as hashed: every field but the hashes, one per line, in a fixed order.
    public static func canonicalEncoding(
        sequence: Int64, at: Date, actor: AuditActor, sourceIP: String, action: String, target: String, outcome: AuditOutcome, details: String,
        retentionYears: Int
    ) -> String {
        [
            String(sequence), String(milliseconds(at)), actor.kind.rawValue, actor.id, actor.unit, sourceIP, action, target, outcome.rawValue,
            details, String(retentionYears),
        ].map { $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n") }.joined(separator: "\n")
    }

    public static func hash(previous: String, canonical: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previous.utf8))
        hasher.update(data: Data([0x0A]))
        hasher.update(data: Data(canonical.utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Places records after `previous` (sequence and hash), producing chained entries.
    public static func chain(_ records: [AuditRecord], after previous: (sequence: Int64, hash: String)) -> [AuditEntry] {
        var sequence = previous.sequence
        var last = previous.hash
        return records.map { record in
            sequence += 1
            // Stored times have millisecond precision: hash what is stored.
            let at = Date(timeIntervalSince1970: Double(milliseconds(record.at)) / 1000)
            let details = canonicalDetails(record.details)
            let canonical = canonicalEncoding(
                sequence: sequence, at: at, actor: record.actor, sourceIP: record.sourceIP, action: record.action, target: record.target,
                outcome: record.outcome, details: details, retentionYears: record.retentionYears
            )
            let hash = hash(previous: last, canonical: canonical)
            defer { last = hash }
            return AuditEntry(
                sequence: sequence, at: at, actor: record.actor, sourceIP: record.sourceIP, action: record.action, target: record.target,
                outcome: record.outcome, details: details, retentionYears: record.retentionYears, previousHash: last, hash: hash
            )
        }
    }

    /// The hash an entry should have, recomputed from its fields.
    public static func expectedHash(of entry: AuditEntry) -> String {
        hash(
            previous: entry.previousHash,
            canonical: canonicalEncoding(
                sequence: entry.sequence, at: entry.at, actor: entry.actor, sourceIP: entry.sourceIP, action: entry.action, target: entry.target,
                outcome: entry.outcome, details: entry.details, retentionYears: entry.retentionYears
            )
        )
    }
}

/// A signed statement that the chain reached `sequence` with `hash`.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var hash: String
    public var at: Date
    /// Hex Ed25519 public key of the node that signed.
    public var publicKey: String
    /// Hex signature over ``signedMessage``.
    public var signature: String

    public init(sequence: Int64, hash: String, at: Date, publicKey: String, signature: String) {
        self.sequence = sequence
        self.hash = hash
        self.at = at
        self.publicKey = publicKey
        self.signature = signature
    }

    public var signedMessage: Data {
        Self.message(sequence: sequence, hash: hash, at: at)
    }

    public static func message(sequence: Int64, hash: String, at: Date) -> Data {
        Data("credithub-audit-checkpoint\n\(sequence)\n\(hash)\n\(AuditChain.milliseconds(at))".utf8)
    }
}

/// A signed marker left where retention purged the start of the chain: verification starts after it.
public struct AuditPurgeMarker: Sendable, Hashable, Codable {
    /// The last purged entry.
    public var throughSequence: Int64
    public var throughHash: String
    public var at: Date
    public var publicKey: String
    public var signature: String

    public init(throughSequence: Int64, throughHash: String, at: Date, publicKey: String, signature: String) {
        self.throughSequence = throughSequence
        self.throughHash = throughHash
        self.at = at
        self.publicKey = publicKey
        self.signature = signature
    }

    public static func message(throughSequence: Int64, throughHash: String, at: Date) -> Data {
        Data("credithub-audit-purge\n\(throughSequence)\n\(throughHash)\n\(AuditChain.milliseconds(at))".utf8)
    }
}
