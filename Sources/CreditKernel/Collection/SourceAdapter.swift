/// Who is submitting: the unit the data comes from and the person or system acting for it.
public struct Submitter: Sendable, Hashable {
    /// Unified social credit code of the unit.
    public var unitCode: String
    /// The acting person's or system's identifier, for lineage and audit.
    public var actor: String
    /// The same, as the audit log records it.
    public var auditActor: AuditActor

    public init(unitCode: String, actor: String, auditActor: AuditActor? = nil) {
        self.unitCode = unitCode
        self.actor = actor
        self.auditActor = auditActor ?? AuditActor(kind: .system, id: actor, unit: unitCode)
    }
}

/// A source adapter turns one channel into ``Submission``s for the pipeline. It never validates or
/// stores records itself. Each adapter is its own target depending on the kernel; the executable
/// registers the ones it ships in an ``AdapterRegistry``.
public protocol SourceAdapter: Sendable {
    /// What the adapter is, for the registry.
    static var descriptor: AdapterDescriptor { get }
}

/// A registered adapter's identity.
public struct AdapterDescriptor: Sendable, Hashable, Codable {
    /// Stable id, e.g. `interface`.
    public var id: String
    public var channel: CollectionChannel
    public var name: String
    public var summary: String

    public init(id: String, channel: CollectionChannel, name: String, summary: String) {
        self.id = id
        self.channel = channel
        self.name = name
        self.summary = summary
    }
}

/// The adapters a running platform has.
public struct AdapterRegistry: Sendable {
    public private(set) var adapters: [AdapterDescriptor] = []

    public init() {}

    /// Adds an adapter type; registering two adapters with one id is a programming error.
    public mutating func register<Adapter: SourceAdapter>(_ adapter: Adapter.Type) {
        precondition(!adapters.contains { $0.id == Adapter.descriptor.id }, "adapter \(Adapter.descriptor.id) registered twice")
        adapters.append(Adapter.descriptor)
    }

    public func adapter(id: String) -> AdapterDescriptor? {
        adapters.first { $0.id == id }
    }

    /// The resources that can receive nothing here: the catalogue allows them only channels that
    /// neither a registered adapter nor one of `alsoServed` (the console's upload, the command line)
    /// provides, e.g. a resource collected only by table pull on a platform without that adapter.
    public func resourcesWithoutChannel(_ resources: [Resource], alsoServed: Set<CollectionChannel>) -> [Resource] {
        let served = alsoServed.union(adapters.map(\.channel))
        return resources.filter { resource in !resource.channels.contains(where: served.contains) }
    }
}
