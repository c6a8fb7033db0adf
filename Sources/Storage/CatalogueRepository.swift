import CreditKernel
import Foundation

/// The imported, versioned catalogue.
public protocol CatalogueRepository: Sendable {
    /// Imports resource definitions: a new resource gets version 1, a changed definition the next
    /// version, an identical one stays as it is.
    func importResources(_ resources: [Resource], importedBy: String, at time: Date) async throws -> [CatalogueImportOutcome]
    /// The current version of every resource, ordered by id.
    func currentResources() async throws -> [StoredResource]
    /// The current version of one resource.
    func resource(id: String) async throws -> StoredResource?
    /// Every version of one resource, oldest first.
    func history(resourceID: String) async throws -> [StoredResource]
    /// Whether no resource has been imported yet.
    func isEmpty() async throws -> Bool
}

/// One version of a resource as the store keeps it.
public struct StoredResource: Sendable, Hashable {
    public var resource: Resource
    public var version: Int
    public var digest: String
    public var importedAt: Date
    public var importedBy: String

    public init(resource: Resource, version: Int, digest: String, importedAt: Date, importedBy: String) {
        self.resource = resource
        self.version = version
        self.digest = digest
        self.importedAt = importedAt
        self.importedBy = importedBy
    }
}

/// What importing one resource did.
public struct CatalogueImportOutcome: Sendable, Hashable {
    public enum Change: String, Sendable, Hashable {
        case created
        case updated
        case unchanged
    }

    public var resourceID: String
    public var version: Int
    public var change: Change

    public init(resourceID: String, version: Int, change: Change) {
        self.resourceID = resourceID
        self.version = version
        self.change = change
    }
}
