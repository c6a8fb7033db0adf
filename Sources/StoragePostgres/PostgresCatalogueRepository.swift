import CreditKernel
import Foundation
import Logging
import PostgresNIO
import Storage

struct PostgresCatalogueRepository: CatalogueRepository {
    let client: PostgresClient
    let logger: Logger

    func importResources(_ resources: [Resource], importedBy: String, at time: Date) async throws -> [CatalogueImportOutcome] {
        let encoded = try resources.map { resource in
            (id: resource.id, digest: resource.contentDigest, json: try CatalogueJSON.encode(resource))
        }
        return try await client.transaction(logger: logger) { connection in
            var outcomes: [CatalogueImportOutcome] = []
            for item in encoded {
                // Serialise concurrent imports of the same resource so versions stay gapless.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(item.id)))", logger: logger)
                let rows = try await connection.query(
                    "SELECT version, digest FROM catalogue_resource_versions WHERE resource_id = \(item.id) ORDER BY version DESC LIMIT 1",
                    logger: logger
                )
                var current: (version: Int, digest: String)?
                for try await (version, digest) in rows.decode((Int, String).self) {
                    current = (version, digest)
                }
                if let current, current.digest == item.digest {
                    outcomes.append(CatalogueImportOutcome(resourceID: item.id, version: current.version, change: .unchanged))
                    continue
                }
                let version = (current?.version ?? 0) + 1
                try await connection.query(
                    """
                    INSERT INTO catalogue_resource_versions (resource_id, version, digest, definition, imported_at, imported_by)
                    VALUES (\(item.id), \(version), \(item.digest), \(item.json)::jsonb, \(time), \(importedBy))
                    """,
                    logger: logger
                )
                outcomes.append(CatalogueImportOutcome(resourceID: item.id, version: version, change: current == nil ? .created : .updated))
            }
            return outcomes
        }
    }

    func currentResources() async throws -> [StoredResource] {
        try await fetch(
            """
            SELECT DISTINCT ON (resource_id) resource_id, version, digest, definition::text, imported_at, imported_by
            FROM catalogue_resource_versions ORDER BY resource_id, version DESC
            """
        )
    }

    func resource(id: String) async throws -> StoredResource? {
        try await fetch(
            """
            SELECT resource_id, version, digest, definition::text, imported_at, imported_by
            FROM catalogue_resource_versions WHERE resource_id = \(id) ORDER BY version DESC LIMIT 1
            """
        ).first
    }

    func history(resourceID: String) async throws -> [StoredResource] {
        try await fetch(
            """
            SELECT resource_id, version, digest, definition::text, imported_at, imported_by
            FROM catalogue_resource_versions WHERE resource_id = \(resourceID) ORDER BY version
            """
        )
    }

    func isEmpty() async throws -> Bool {
        let rows = try await client.query("SELECT NOT EXISTS (SELECT 1 FROM catalogue_resource_versions)", logger: logger)
        for try await empty in rows.decode(Bool.self) { return empty }
        return true
    }

    private func fetch(_ query: PostgresQuery) async throws -> [StoredResource] {
        var result: [StoredResource] = []
        let rows = try await client.query(query, logger: logger)
        for try await (_, version, digest, definition, importedAt, importedBy) in rows.decode((String, Int, String, String, Date, String).self) {
            result.append(
                StoredResource(
                    resource: try CatalogueJSON.decode(definition),
                    version: version,
                    digest: digest,
                    importedAt: importedAt,
                    importedBy: importedBy
                )
            )
        }
        return result
    }
}
