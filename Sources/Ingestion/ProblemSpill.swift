import CreditKernel
import Foundation

/// Problem rows kept in a temporary file while a receipt is being made, then read back a page at
/// a time: how `credithub validate`, which has no store, prints a receipt with a hundred thousand
/// problem rows without holding them. Each row is a line of tab-separated fields (row, status,
/// issues JSON, conflict JSON), already written as the receipt writes them, so reading back decodes
/// nothing; compact JSON holds no raw tab or line break. The file's name is removed as soon as it
/// is open, so its space is returned when the spill is released or the process ends, however it ends.
public final class ProblemSpill {
    private let url: URL
    private let handle: FileHandle
    /// Bytes read back but not yet returned (a read ends mid-line).
    private var buffered: [UInt8] = []
    private var consumed = 0
    private var readingStarted = false

    public init(directory: URL = FileManager.default.temporaryDirectory) throws {
        url = directory.appendingPathComponent("credithub-problems-\(UUID().uuidString).tsv")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CreditHubError(code: "io", message: "cannot create a temporary file in \(directory.path); set TMPDIR to a writable directory")
        }
        handle = try FileHandle(forUpdating: url)
        try? FileManager.default.removeItem(at: url)
    }

    deinit {
        try? handle.close()
    }

    public func append(_ rows: [ProblemRow]) throws {
        guard !rows.isEmpty else { return }
        var lines: [UInt8] = []
        for row in rows {
            let json = try JSONText.problemRow(row)
            lines.append(contentsOf: String(json.row).utf8)
            lines.append(0x09)
            lines.append(contentsOf: json.status.rawValue.utf8)
            lines.append(0x09)
            lines.append(contentsOf: json.issuesJSON)
            lines.append(0x09)
            lines.append(contentsOf: json.conflictJSON ?? [])
            lines.append(0x0A)
        }
        try handle.write(contentsOf: lines)
    }

    /// The next `limit` rows in the order they were appended; empty at the end.
    public func next(limit: Int) throws -> [ProblemRowJSON] {
        if !readingStarted {
            readingStarted = true
            try handle.seek(toOffset: 0)
        }
        var rows: [ProblemRowJSON] = []
        while rows.count < limit {
            if let newline = buffered[consumed...].firstIndex(of: 0x0A) {
                let fields = buffered[consumed..<newline].split(separator: 0x09, maxSplits: 3, omittingEmptySubsequences: false)
                consumed = newline + 1
                guard fields.count == 4, let row = Int(String(decoding: fields[0], as: UTF8.self)),
                    let status = RowStatus(rawValue: String(decoding: fields[1], as: UTF8.self))
                else {
                    throw CreditHubError(code: "io", message: "the temporary problem file \(url.lastPathComponent) was changed while in use")
                }
                rows.append(ProblemRowJSON(row: row, status: status, issuesJSON: fields[2], conflictJSON: fields[3].isEmpty ? nil : fields[3]))
                continue
            }
            guard let more = try handle.read(upToCount: 1 << 20), !more.isEmpty else { break }
            buffered.removeFirst(consumed)
            consumed = 0
            buffered.append(contentsOf: more)
        }
        return rows
    }
}
