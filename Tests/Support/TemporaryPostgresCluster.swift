import Foundation

/// A PostgreSQL cluster of a test's own, for tests that stop and restart the server.
///
/// Uses the binaries `scripts/with-postgres.sh` found (`CREDITHUB_TEST_PG_BIN`) and runs them as
/// `CREDITHUB_TEST_PG_USER` when the tests run as root.
public final class TemporaryPostgresCluster: Sendable {
    public let port: Int
    let directory: String
    let bin: String
    let user: String

    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

    public init() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let bin = environment["CREDITHUB_TEST_PG_BIN"] else {
            throw TestSupportError("CREDITHUB_TEST_PG_BIN is not set: run the tests with `make test`")
        }
        self.bin = bin
        self.user = environment["CREDITHUB_TEST_PG_USER"] ?? ""
        self.port = try Self.freePort()
        let directory = "/tmp/credithub-pg-own-\(UUID().uuidString.prefix(8))"
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !user.isEmpty {
            try Self.run("/bin/chown", [user, directory])
        }
        try run("initdb", ["-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])
        try start()
    }

    public func start() throws {
        try run(
            "pg_ctl",
            ["-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off", "start"]
        )
    }

    public func stop() throws {
        try run("pg_ctl", ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"])
    }

    public func destroy() {
        try? run("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        if user.isEmpty {
            try Self.run("\(bin)/\(tool)", arguments)
        } else {
            try Self.run("/usr/sbin/runuser", ["-u", user, "--", "\(bin)/\(tool)"] + arguments)
        }
    }

    /// Runs a program to completion with posix_spawn and waitpid: Foundation's `Process` can miss
    /// the exit of a program whose child daemonises (pg_ctl start) and wait forever.
    static func run(_ executable: String, _ arguments: [String]) throws {
        let output = "/tmp/credithub-spawn-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestSupportError("cannot start \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED && WEXITSTATUS == 0
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
    }

    /// A loopback port nothing listens on (at the time of asking).
    public static func freePortForTests() throws -> Int {
        try freePort()
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw TestSupportError("cannot bind a free port") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
