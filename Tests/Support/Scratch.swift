import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where tests put their files: one directory per test process, removed when the process exits,
/// so a run leaves nothing behind in the temporary directory, whether or not a test removed its
/// own files (a failed expectation, a child killed on purpose, a stopped run do not).
public enum Scratch {
    /// `<temporary directory>/credithub-tests-<process id>`, made on first use.
    public static let root: String = {
        let root = directory(of: getpid())
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.directory(of: getpid())) }
        return root
    }()

    static func directory(of process: pid_t) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("credithub-tests-\(process)").path
    }

    /// A new path in `root`, `name`-<UUID>`suffix` (e.g. `".csv"`); nothing is made there.
    public static func path(_ name: String, _ suffix: String = "") -> String {
        "\(root)/\(name)-\(UUID().uuidString)\(suffix)"
    }
}
