import CreditKernel
import Foundation
import GRDB
import Storage

struct SQLiteCatalogueRepository: CatalogueRepository {
    let pool: DatabasePool

    func importResources(_ resources: [Resource], importedBy: String, at time: Date) async throws -> [CatalogueImportOutcome] {
        let encoded = try resources.map { resource in
            (resource: resource, digest: resource.contentDigest, json: try CatalogueJSON.encode(resource))
        }
        return try await pool.write { db in
            var outcomes: [CatalogueImportOutcome] = []
            for item in encoded {
                let current = try Row.fetchOne(
                    db,
                    sql: "SELECT version, digest FROM catalogue_resource_versions WHERE resource_id = ? ORDER BY version DESC LIMIT 1",
                    arguments: [item.resource.id]
                )
                let currentVersion: Int = current?["version"] ?? 0
                if let current, (current["digest"] as String) == item.digest {
                    outcomes.append(CatalogueImportOutcome(resourceID: item.resource.id, version: currentVersion, change: .unchanged))
                    continue
                }
                try db.execute(
                    sql: """
                        INSERT INTO catalogue_resource_versions (resource_id, version, digest, definition, imported_at, imported_by)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [item.resource.id, currentVersion + 1, item.digest, item.json, time.timeIntervalSince1970, importedBy]
                )
                outcomes.append(
                    CatalogueImportOutcome(resourceID: item.resource.id, version: currentVersion + 1, change: current == nil ? .created : .updated)
                )
            }
            return outcomes
        }
    }

    func currentResources() async throws -> [StoredResource] {
        try await fetch(
            """
            SELECT v.* FROM catalogue_resource_versions v
            WHERE v.version = (SELECT MAX(version) FROM catalogue_resource_versions WHERE resource_id = v.resource_id)
            ORDER BY v.resource_id
            """,
            []
        )
    }

    func resource(id: String) async throws -> StoredResource? {
        try await fetch(
            "SELECT * FROM catalogue_resource_versions WHERE resource_id = ? ORDER BY version DESC LIMIT 1",
            [id]
        ).first
    }

    func history(resourceID: String) async throws -> [StoredResource] {
        try await fetch("SELECT * FROM catalogue_resource_versions WHERE resource_id = ? ORDER BY version", [resourceID])
    }

    func isEmpty() async throws -> Bool {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_resource_versions LIMIT 1)") == 0
        }
    }

    private func fetch(_ sql: String, _ arguments: StatementArguments) async throws -> [StoredResource] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                StoredResource(
                    resource: try CatalogueJSON.decode(row["definition"]),
                    version: row["version"],
                    digest: row["digest"],
                    importedAt: Date(timeIntervalSince1970: row["imported_at"]),
                    importedBy: row["imported_by"]
                )
            }
        }
    }
}
