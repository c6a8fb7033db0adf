import CreditKernel

/// Everything CreditHub keeps, behind one interface that both backends implement.
///
/// Implementations hold no state between calls that another replica could not see: everything
/// durable is in the database, so any number of servers can share one PostgreSQL.
public protocol CreditStore: Sendable {
    /// A name for logs and `/health/ready`, e.g. `sqlite` or `postgresql`.
    var backendName: String { get }
    /// The highest schema version this build knows.
    var latestSchemaVersion: Int { get }
    /// Applies pending schema migrations; safe to call concurrently from several processes.
    func migrate() async throws -> MigrationOutcome
    /// The schema version the database is at (0 for an empty database).
    func schemaVersion() async throws -> Int
    /// Succeeds when the database answers a trivial query.
    func ping() async throws

    var catalogue: any CatalogueRepository { get }
    var collection: any CollectionRepository { get }
    var identity: any IdentityRepository { get }
    var audit: any AuditRepository { get }
}

/// What a migration run did.
public struct MigrationOutcome: Sendable, Hashable {
    public var fromVersion: Int
    public var toVersion: Int
    /// Names of the migrations applied in this run, in order.
    public var applied: [String]

    public init(fromVersion: Int, toVersion: Int, applied: [String]) {
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.applied = applied
    }
}
