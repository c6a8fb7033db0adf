import ArgumentParser

/// `credithub`: the CreditHub server and its operator commands.
@main
struct CreditHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credithub",
        abstract: "CreditHub: collect, govern and share credit records (信用信息归集共享平台).",
        discussion: """
            Configuration comes from command-line options, then CREDITHUB_* environment variables, \
            then the YAML file named by --config or CREDITHUB_CONFIG_FILE. See README.md for every key.
            """,
        version: CreditHubVersion.current,
        subcommands: [Serve.self, Migrate.self, Ingest.self, Validate.self, BatchCommand.self, CatalogCommand.self, AuditCommand.self, SampleCommand.self, VersionCommand.self]
    )
}

enum CreditHubVersion {
    static let current = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the CreditHub version.")

    func run() {
        print("credithub \(CreditHubVersion.current)")
    }
}
