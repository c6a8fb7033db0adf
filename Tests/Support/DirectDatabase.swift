import Foundation
import GRDB
import Logging
import PostgresNIO
import StoragePostgres

/// The store's database reached around CreditHub, as someone with the file or a database login
/// would: for tests that tamper with what the application must protect.
public enum DirectDatabase: Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    /// Runs the statements in order on one connection; the first failure is thrown.
    public func execute(_ statements: [String]) async throws {
        switch self {
        case .sqlite(let path):
            var configuration = Configuration()
            // The store's own pool may be writing (a checkpoint, a session touch): wait for it.
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try await queue.write { db in
                for statement in statements { try db.execute(sql: statement) }
            }
            try queue.close()
        case .postgres(let url):
            let client = PostgresClient(configuration: try PostgresStore.configuration(url: url), backgroundLogger: TestStores.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                try await client.withConnection { connection in
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestStores.logger)
                    }
                }
            }
        }
    }

    /// The same PostgreSQL database reached as another role.
    public func asRole(_ role: String, password: String) -> DirectDatabase {
        guard case .postgres(let url) = self, var components = URLComponents(string: url) else { return self }
        components.user = role
        components.password = password
        return .postgres(url: components.string!)
    }
}
