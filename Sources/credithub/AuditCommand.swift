import ArgumentParser
import CreditKernel
import Foundation
import Security
import Storage

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and purge the tamper-evident audit log.",
        subcommands: [Verify.self, Export.self, VerifyBundle.self, Purge.self]
    )

    /// Opens the store with the node's existing keys (never a new key: a fresh one would sign
    /// nothing the log contains) and runs `body`.
    static func withAuditStore<Result: Sendable>(
        _ global: GlobalOptions, _ body: @escaping @Sendable (any CreditStore, NodeKeys, SecurityConfiguration) async throws -> Result
    ) async throws -> Result {
        let reader = try await global.reader()
        let logger = LoggingSetup.bootstrap(reader: reader)
        let storeConfiguration = StoreConfiguration(reader: reader)
        let security = SecurityConfiguration(reader: reader)
        let keys = try security.keys(dataDirectory: storeConfiguration.dataDirectory, create: false)
        return try await storeConfiguration.withPreparedStore(logger: logger) { store in try await body(store, keys, security) }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry's hash, the links between entries, gaps and checkpoint signatures; name the first bad entry.",
            discussion: "Exits 0 when the chain is intact, 1 otherwise."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let (report, publicKey) = try await AuditCommand.withAuditStore(global) { store, keys, security in
                (try await AuditVerifier.verify(store, trustedKeys: security.trustedAuditKeys(current: keys)), keys.publicKeyHex)
            }
            if let problem = report.problem {
                print("audit log BROKEN at entry \(report.problemSequence ?? 0): \(problem)")
                print("checked \(report.entriesChecked) entries before it")
                throw ExitCode.failure
            }
            print("audit log intact: entries \(report.firstSequence)–\(report.lastSequence) (\(report.entriesChecked) checked), \(report.checkpointsChecked) signed checkpoints verified")
            print("node public key: \(publicKey)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a signed, self-verifying bundle of the entries between two times.")
        @OptionGroup var global: GlobalOptions

        @Option(help: "Start, YYYY-MM-DD (China time) or ISO 8601.")
        var from: String?

        @Option(help: "End (exclusive), YYYY-MM-DD or ISO 8601.")
        var to: String?

        @Option(name: .shortAndLong, help: "Output file (default: standard output).")
        var output: String?

        func run() async throws {
            let (from, to) = (try from.map(Self.date), try to.map(Self.date))
            let bundle = try await AuditCommand.withAuditStore(global) { store, keys, _ in
                try await AuditBundle.export(store, keys: keys, fromTime: from, toTime: to)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .millisecondsSince1970
            let data = try encoder.encode(bundle)
            if let output {
                try data.write(to: URL(fileURLWithPath: output))
                FileHandle.standardError.write(Data("wrote \(bundle.entries.count) entries to \(output)\n".utf8))
            } else {
                FileHandle.standardOutput.write(data)
            }
        }

        static func date(_ text: String) throws -> Date {
            if let day = CalendarDate(iso: text) { return Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch) * 86400 - 8 * 3600) }
            if let date = ISO8601DateFormatter().date(from: text) { return date }
            throw ValidationError("'\(text)' is not YYYY-MM-DD or ISO 8601")
        }
    }

    struct VerifyBundle: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify-bundle", abstract: "Check an exported bundle on its own: signature, chain, checkpoints.")

        @Argument(help: "The bundle file.")
        var file: String

        @Option(name: .customLong("public-key"), help: "The node's public key (hex, as `audit verify` prints it); repeat for earlier keys. Without it the bundle is checked against the key it names.")
        var publicKeys: [String] = []

        func run() throws {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            let bundle = try decoder.decode(AuditBundle.self, from: try Data(contentsOf: URL(fileURLWithPath: file)))
            if let problem = bundle.verify(trustedKeys: publicKeys.isEmpty ? nil : Set(publicKeys.map { $0.lowercased() })) {
                print("bundle BROKEN: \(problem)")
                throw ExitCode.failure
            }
            print("bundle intact: \(bundle.entries.count) entries after entry \(bundle.anchorSequence), \(bundle.checkpoints.count) checkpoints")
            print("signed by \(bundle.publicKey)\(publicKeys.isEmpty ? " — compare it with the node's published public key, or pass --public-key" : ", a trusted key")")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove whole checkpointed segments whose entries have all outlived their retention (2, 3 or 5 years), leaving a signed marker."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let marker = try await AuditCommand.withAuditStore(global) { store, keys, _ in
                try await AuditRetention.purge(store, keys: keys)
            }
            if let marker {
                print("purged entries through \(marker.throughSequence); the signed marker keeps the rest verifiable")
            } else {
                print("nothing to purge: no checkpointed segment has outlived its retention")
            }
        }
    }
}
