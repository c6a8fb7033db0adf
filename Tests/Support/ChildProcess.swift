import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program started by a test and controlled by it: killed with any signal, waited for.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let outputPath: String
    private var reaped = false
    /// The read end of the bounded standard-error pipe, or -1.
    private let errorPipe: Int32
    private var drainedErrorOutput: [UInt8] = []

    /// The `credithub` executable built next to the test bundle.
    public static var credithub: String {
        get throws {
            let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for candidate in [bundle, bundle.deletingLastPathComponent()] {
                let path = candidate.appendingPathComponent("credithub").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            throw TestSupportError("the credithub executable is not built next to \(bundle.path); run `swift build --build-tests`")
        }
    }

    /// Starts `executable` with `arguments`; its environment is this process's plus `environment`.
    ///
    /// With `boundedErrorOutput` the program's standard error is a pipe of one page that only
    /// `drainErrorOutput()` empties. A program that logs as it works then blocks once it is a page
    /// of log lines ahead of the test, however fast it runs and however late the test looks.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], boundedErrorOutput: Bool = false) throws {
        outputPath = Scratch.path("child", ".log")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var pipeEnds: [Int32] = [-1, -1]
        if boundedErrorOutput {
            guard pipe(&pipeEnds) == 0 else { throw TestSupportError("cannot make a pipe: errno \(errno)") }
            // Close-on-exec, so that children other tests start meanwhile do not hold the write end.
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            // F_SETPIPE_SZ (Linux): the smallest pipe the kernel allows, one page.
            _ = fcntl(pipeEnds[1], 1031, Int32(getpagesize()))
            _ = fcntl(pipeEnds[0], F_SETFL, O_NONBLOCK)
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, outputPath + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        errorPipe = pipeEnds[0]
        defer { if pipeEnds[1] >= 0 { close(pipeEnds[1]) } }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            if errorPipe >= 0 { close(errorPipe) }
            throw TestSupportError("cannot start \(executable): errno \(result)")
        }
        self.pid = pid
    }

    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        if errorPipe >= 0 { close(errorPipe) }
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: outputPath + ".err")
    }

    /// Reads what is waiting in the bounded standard-error pipe without blocking, letting the
    /// program write that much more; returns the number of bytes read.
    @discardableResult
    public func drainErrorOutput() -> Int {
        precondition(errorPipe >= 0, "drainErrorOutput needs boundedErrorOutput")
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(errorPipe, &buffer, buffer.count)
        guard count > 0 else { return 0 }
        drainedErrorOutput += buffer[..<count]
        return count
    }

    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the program to end and returns its exit status (128 + signal if killed).
    ///
    /// Polls rather than blocking in `waitpid`: the tests run on a cooperative pool of one thread
    /// per core, shared with the servers they start. Two tests blocked on their children held both
    /// threads of a 2-core machine, so every live server in the process stopped answering (a child
    /// calling one of them would wait for ever). Cancelling the waiting task kills the program.
    @discardableResult
    public func wait() async -> Int32 {
        var status: Int32 = 0
        var pause = 5
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result == -1 && errno != EINTR { return -1 }
            if Task.isCancelled {
                // A killed program ends at once, so waiting for it blocks only briefly; sleeping
                // would not (a cancelled task's sleep returns at once) and the loop would spin.
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                break
            }
            try? await Task.sleep(for: .milliseconds(pause))
            pause = min(pause * 2, 50)
        }
        reaped = true
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    public var isRunning: Bool {
        guard !reaped else { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            reaped = true
            return false
        }
        return true
    }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var errorOutput: String {
        if errorPipe >= 0 { return String(decoding: drainedErrorOutput, as: UTF8.self) }
        return (try? String(contentsOfFile: outputPath + ".err", encoding: .utf8)) ?? ""
    }
}
