import CreditKernel
import Foundation

/// Problem rows kept in a temporary file while a receipt is being made, then read back a page at
/// a time: how `credithub validate`, which has no store, prints a receipt with a hundred thousand
/// problem rows without holding them. The file is JSON Lines (JSON escapes line breaks inside
/// values) and is removed when the spill is released.
public final class ProblemSpill {
    private let url: URL
    private let handle: FileHandle
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()
    /// Bytes read back but not yet decoded (a page ends mid-line).
    private var buffered = Data()
    private var readingStarted = false

    public init(directory: URL = FileManager.default.temporaryDirectory) throws {
        url = directory.appendingPathComponent("credithub-problems-\(UUID().uuidString).jsonl")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CreditHubError(code: "io", message: "cannot create a temporary file in \(directory.path); set TMPDIR to a writable directory")
        }
        handle = try FileHandle(forUpdating: url)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }

    public func append(_ rows: [ProblemRow]) throws {
        guard !rows.isEmpty else { return }
        var lines = Data()
        for row in rows {
            lines.append(try encoder.encode(row))
            lines.append(0x0A)
        }
        try handle.write(contentsOf: lines)
    }

    /// The next `limit` rows in the order they were appended; empty at the end.
    public func next(limit: Int) throws -> [ProblemRow] {
        if !readingStarted {
            readingStarted = true
            try handle.seek(toOffset: 0)
        }
        var rows: [ProblemRow] = []
        while rows.count < limit {
            if let newline = buffered.firstIndex(of: 0x0A) {
                rows.append(try decoder.decode(ProblemRow.self, from: buffered[buffered.startIndex..<newline]))
                buffered = buffered[(newline + 1)...]
                continue
            }
            guard let more = try handle.read(upToCount: 1 << 20), !more.isEmpty else { break }
            buffered = Data(buffered) + more
        }
        return rows
    }
}
