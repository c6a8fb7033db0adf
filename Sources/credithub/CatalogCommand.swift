import ArgumentParser
import CreditKernel
import Foundation
import Security
import Storage

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Validate catalogue files and inspect the catalogue in the store.",
        subcommands: [Validate.self, List.self, Show.self, Import.self]
    )

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check catalogue YAML files; print every problem as file:line:column and exit non-zero if any."
        )

        @Argument(help: "Catalogue files, e.g. catalog/*.yaml.")
        var files: [String]

        func run() throws {
            do {
                let catalogue = try Catalogue.load(paths: files)
                for resource in catalogue.resources {
                    print("ok  \(resource.id)  \(resource.name)  (\(resource.fields.count) fields, \(resource.rules.count) rules)")
                }
            } catch {
                for problem in error.problems {
                    FileHandle.standardError.write(Data((problem.description + "\n").utf8))
                }
                FileHandle.standardError.write(Data("\(error.problems.count) problem(s) found\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the resources in the store's catalogue.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reader = try await global.reader()
            let logger = LoggingSetup.bootstrap(reader: reader)
            let resources = try await StoreConfiguration(reader: reader).withPreparedStore(logger: logger) { store in
                try await store.catalogue.currentResources()
            }
            print("id\tversion\tshare type\tfields\tname")
            for stored in resources {
                let resource = stored.resource
                print("\(resource.id)\tv\(stored.version)\t\(resource.shareType.rawValue)\t\(resource.fields.count)\t\(resource.name) (\(resource.nameEnglish))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one resource of the store's catalogue, field by field.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Resource id, e.g. admin_penalty.")
        var resource: String

        @Flag(help: "Print the stored definition as JSON.")
        var json = false

        func run() async throws {
            let reader = try await global.reader()
            let logger = LoggingSetup.bootstrap(reader: reader)
            let id = resource
            guard let stored = try await StoreConfiguration(reader: reader).withPreparedStore(logger: logger, { store in
                try await store.catalogue.resource(id: id)
            }) else {
                throw ValidationError("no resource '\(id)' in the catalogue; `credithub catalog list` shows what there is")
            }
            if json {
                print(try CatalogueJSON.encode(stored.resource))
                return
            }
            print(CatalogueText.describe(stored))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate catalogue files and import them into the store as new resource versions."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Catalogue files.")
        var files: [String]

        func run() async throws {
            let catalogue: Catalogue
            do {
                catalogue = try Catalogue.load(paths: files)
            } catch {
                for problem in error.problems {
                    FileHandle.standardError.write(Data((problem.description + "\n").utf8))
                }
                throw ExitCode.failure
            }
            let reader = try await global.reader()
            let logger = LoggingSetup.bootstrap(reader: reader)
            let user = ProcessInfo.processInfo.environment["USER"] ?? "cli"
            let storeConfiguration = StoreConfiguration(reader: reader)
            let keys = try SecurityConfiguration(reader: reader).keys(dataDirectory: storeConfiguration.dataDirectory)
            let outcomes = try await storeConfiguration.withPreparedStore(logger: logger) { store in
                let outcomes = try await store.catalogue.importResources(catalogue.resources, importedBy: "cli:\(user)", at: Date())
                let audit = AuditLog(store: store, keys: keys, logger: logger)
                for outcome in outcomes where outcome.change != .unchanged {
                    try await audit.record(
                        AuditRecord(actor: AuditActor(kind: .platform, id: "cli:\(user)", unit: ""), action: "catalogue.import", target: outcome.resourceID, details: ["version": String(outcome.version), "change": outcome.change.rawValue])
                    )
                }
                try await audit.checkpointHead()
                return outcomes
            }
            for outcome in outcomes {
                print("\(outcome.change.rawValue)\t\(outcome.resourceID)\tv\(outcome.version)")
            }
            for warning in PlatformChannels.unservedResourceWarnings(catalogue.resources) {
                FileHandle.standardError.write(Data("warning: \(warning.message)\n".utf8))
            }
        }
    }
}

/// Human-readable rendering of a resource for the terminal.
enum CatalogueText {
    static func describe(_ stored: StoredResource) -> String {
        let resource = stored.resource
        var lines: [String] = []
        lines.append("\(resource.id) — \(resource.name) (\(resource.nameEnglish)), version \(stored.version)")
        if let description = resource.description { lines.append(description) }
        lines.append("share type: \(resource.shareType.rawValue)   disclosure: \(resource.disclosure.rawValue)   market use: \(resource.marketUse.rawValue)")
        lines.append("sensitivity: grade \(resource.sensitivity.grade), label \(resource.sensitivity.label)   log retention: \(resource.logRetention.years) years")
        lines.append("update frequency: \(resource.updateFrequency.rawValue)   channels: \(resource.channels.map(\.rawValue).joined(separator: ", "))")
        let key = resource.businessKey.fields + (resource.businessKey.includesSubjectCode ? ["subject code (\(resource.subject.codeFields.joined(separator: " | ")))"] : [])
        lines.append("business key: \(key.joined(separator: " + "))")
        lines.append("")
        for (index, field) in resource.fields.enumerated() {
            var traits = [field.type.rawValue]
            if let length = field.maximumLength { traits.append("≤\(length)") }
            if field.required { traits.append("required") }
            if let list = field.codeList { traits.append("codes: \(list)") }
            if let unit = field.unit { traits.append(unit.rawValue) }
            if field.sensitive { traits.append("sensitive") }
            lines.append(String(format: "%2d ", index + 1) + "\(field.id)  \(field.label)  [\(traits.joined(separator: ", "))]")
        }
        if !resource.rules.isEmpty {
            lines.append("")
            lines.append("rules: \(resource.rules.map(\.id).joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
