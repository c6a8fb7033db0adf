import CreditKernel
import Foundation
import Logging

extension CreditStore {
    /// Makes the store ready for use: brings the schema up to date (unless `automaticMigration` is
    /// off, in which case an out-of-date schema is an error naming the fix) and loads the default
    /// catalogue into an empty store.
    public func prepare(automaticMigration: Bool, defaultCatalogue: Catalogue = .standard, logger: Logger) async throws {
        if automaticMigration {
            let outcome = try await migrate()
            if !outcome.applied.isEmpty {
                logger.info(
                    "schema migrated",
                    metadata: ["from": "\(outcome.fromVersion)", "to": "\(outcome.toVersion)", "applied": "\(outcome.applied.joined(separator: ","))"]
                )
            }
        } else {
            let version = try await schemaVersion()
            guard version == latestSchemaVersion else {
                throw CreditHubError(
                    code: "schema_out_of_date",
                    message: "the \(backendName) schema is at version \(version) but this build needs \(latestSchemaVersion); run `credithub migrate` (automatic migration is off)"
                )
            }
        }
        if try await catalogue.isEmpty() {
            let outcomes = try await catalogue.importResources(defaultCatalogue.resources, importedBy: "system", at: Date())
            logger.info("default catalogue loaded", metadata: ["resources": "\(outcomes.map(\.resourceID).joined(separator: ","))"])
        }
    }
}
