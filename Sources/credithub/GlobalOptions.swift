import ArgumentParser
import Configuration
import CreditKernel
import Foundation
import Logging
import SystemPackage

/// Options every command that reads configuration accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "YAML configuration file (key CREDITHUB_CONFIG_FILE).")
    var configFile: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (key data.directory, default ./data).")
    var dataDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (key log.level).")
    var logLevel: String?

    /// Options given on the command line, as configuration keys; they win over everything else.
    func commandLineValues() -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let dataDirectory { values[AbsoluteConfigKey(["data", "directory"])] = .init(.string(dataDirectory), isSecret: false) }
        if let logLevel { values[AbsoluteConfigKey(["log", "level"])] = .init(.string(logLevel), isSecret: false) }
        return values
    }

    /// The reader over command line > environment (`CREDITHUB_*`) > configuration file.
    func reader(extra: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> ConfigReader {
        let environment = EnvironmentVariablesProvider(
            secretsSpecifier: .dynamic { key, _ in
                let upper = key.uppercased()
                return upper.contains("PASSWORD") || upper.contains("SECRET") || upper.contains("DATABASE_URL") || upper.contains("KEY")
            }
        )
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "command line", values: commandLineValues().merging(extra) { _, new in new }),
            KeyMappingProvider(upstream: environment) { key in key.prepending(["credithub"]) },
        ]
        let path = configFile ?? ProcessInfo.processInfo.environment["CREDITHUB_CONFIG_FILE"]
        if let path {
            guard FileManager.default.fileExists(atPath: path) else {
                throw CreditHubError(code: "config_file_missing", message: "the configuration file \(path) does not exist")
            }
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
        }
        return ConfigReader(providers: providers)
    }
}

/// Sets up swift-log once per process from configuration.
///
/// Keys: `log.level` (`CREDITHUB_LOG_LEVEL`, default `info`), `log.format` (`CREDITHUB_LOG_FORMAT`,
/// `text` or `json`, default `text`).
enum LoggingSetup {
    static func bootstrap(reader: ConfigReader) -> Logger {
        let level = Logger.Level(rawValue: reader.string(forKey: "log.level", default: "info")) ?? .info
        let json = reader.string(forKey: "log.format", default: "text") == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "credithub")
        logger.logLevel = level
        return logger
    }
}
