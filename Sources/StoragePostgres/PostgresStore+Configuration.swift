import CreditKernel
import Foundation
import NIOSSL
import PostgresNIO

extension PostgresStore {
    /// Reads a `postgres://user:password@host:port/database?sslmode=…` URL.
    ///
    /// `sslmode` is `disable`, `prefer` (the default) or `require`. The password is never part of
    /// an error message.
    public static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw CreditHubError(code: "invalid_database_url", message: "the database URL must look like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw CreditHubError(code: "invalid_database_url", message: "the database URL names no host")
        }
        let username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        let database = components.path.count > 1 ? String(components.path.dropFirst()) : username
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default:
            throw CreditHubError(code: "invalid_database_url", message: "sslmode '\(mode)' is not one of disable, prefer, require")
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
