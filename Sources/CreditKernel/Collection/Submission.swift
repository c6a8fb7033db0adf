import Foundation

/// What an adapter hands to the pipeline: who delivered which bytes for which resource, and how.
///
/// Adapters never validate or store records; they turn a channel (HTTP push, file drop, terminal
/// upload, form) into submissions.
public struct Submission: Sendable {
    /// Unified social credit code of the submitting unit.
    public var sourceUnit: String
    public var resourceID: String
    public var channel: CollectionChannel
    /// The artefact, exactly as received.
    public var artefact: Artefact
    /// The file name the provider gave, if any (used to recognise the format).
    public var fileName: String?
    /// The format, when the channel knows it (a JSON body, say); otherwise detected.
    public var format: ArtefactFormat?
    /// The text encoding the provider declared; otherwise detected.
    public var declaredEncoding: TextEncoding?
    /// A client-chosen key that makes retries of one request return the same batch.
    public var idempotencyKey: String?
    /// Who submitted: a person's or system's identifier, for lineage and audit.
    public var submittedBy: String
    /// Who submitted, as the audit log names them.
    public var actor: AuditActor

    public init(
        sourceUnit: String,
        resourceID: String,
        channel: CollectionChannel,
        artefact: Artefact,
        fileName: String? = nil,
        format: ArtefactFormat? = nil,
        declaredEncoding: TextEncoding? = nil,
        idempotencyKey: String? = nil,
        submittedBy: String,
        actor: AuditActor? = nil
    ) {
        self.sourceUnit = sourceUnit
        self.resourceID = resourceID
        self.channel = channel
        self.artefact = artefact
        self.fileName = fileName
        self.format = format
        self.declaredEncoding = declaredEncoding
        self.idempotencyKey = idempotencyKey
        self.submittedBy = submittedBy
        self.actor = actor ?? AuditActor(kind: .system, id: submittedBy, unit: sourceUnit)
    }
}

/// The bytes of a submission: in memory, or a file the adapter already has on disk.
public enum Artefact: Sendable {
    case bytes(Data)
    /// A file the pipeline copies into the raw store; the adapter may delete it afterwards.
    case file(path: String)
    /// A stream of chunks (an HTTP body); the pipeline writes it to the raw store as it arrives.
    case stream(any AsyncSequence<Data, any Error> & Sendable)
}

/// The data formats the pipeline decodes.
public enum ArtefactFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case csv
    /// One JSON object per line.
    case jsonLines = "jsonl"
    /// A JSON array of objects, or `{"records": [...]}`.
    case json
    case xlsx

    /// Recognises a format from a file name's extension.
    public init?(fileName: String) {
        let lowered = fileName.lowercased()
        if lowered.hasSuffix(".csv") || lowered.hasSuffix(".txt") || lowered.hasSuffix(".tsv") {
            self = .csv
        } else if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") {
            self = .jsonLines
        } else if lowered.hasSuffix(".json") {
            self = .json
        } else if lowered.hasSuffix(".xlsx") {
            self = .xlsx
        } else {
            return nil
        }
    }
}

/// Text encodings the decoders understand.
public enum TextEncoding: String, Sendable, Hashable, Codable, CaseIterable {
    case utf8 = "utf-8"
    case utf16LittleEndian = "utf-16le"
    case utf16BigEndian = "utf-16be"
    /// GB18030, a superset of GBK and GB2312: what Chinese Excel writes for "CSV".
    case gb18030

    /// Reads a declared charset name (`GBK`, `gb2312`, `UTF8`…).
    public init?(label: String) {
        switch label.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "utf-16le", "utf16le": self = .utf16LittleEndian
        case "utf-16be", "utf16be", "utf-16": self = .utf16BigEndian
        case "gb18030", "gbk", "gb2312", "cp936", "gb-18030": self = .gb18030
        default: return nil
        }
    }
}
