import CArchive
import CreditKernel
import Foundation

/// Sequential reading of an archive (zip, tar, gz, 7z…) through libarchive.
final class ArchiveReader {
    private let archive: OpaquePointer
    private let path: String

    init(path: String) throws {
        guard let archive = archive_read_new() else {
            throw CreditHubError(code: "unreadable", message: "cannot allocate an archive reader", chineseMessage: "无法读取压缩文件（内存不足）")
        }
        archive_read_support_format_all(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK else {
            let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
            archive_read_free(archive)
            throw CreditHubError(code: "unreadable", message: "not a readable archive: \(message)", chineseMessage: "不是可读取的 XLSX（zip）文件：\(message)")
        }
        self.archive = archive
        self.path = path
    }

    deinit {
        archive_read_free(archive)
    }

    /// Moves to the next entry and returns its path, or nil at the end.
    func nextEntry() throws -> String? {
        var entry: OpaquePointer?
        let result = archive_read_next_header(archive, &entry)
        if result == ARCHIVE_EOF { return nil }
        guard result == ARCHIVE_OK || result == ARCHIVE_WARN, let entry else {
            throw CreditHubError(code: "unreadable", message: "damaged archive: \(errorText)", chineseMessage: "文件已损坏：\(errorText)")
        }
        guard let name = archive_entry_pathname(entry) else { return "" }
        return String(cString: name)
    }

    /// Reads the next piece of the current entry's data; an empty result means the entry is done.
    func readChunk(maximum: Int = 1 << 16) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        let count = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
        guard count >= 0 else {
            throw CreditHubError(code: "unreadable", message: "damaged archive entry: \(errorText)", chineseMessage: "文件中的部件已损坏：\(errorText)")
        }
        buffer.removeSubrange(count...)
        return buffer
    }

    /// The whole current entry, for small parts such as an XLSX's workbook.
    /// - Throws: `unreadable` past `maximum` bytes: a part that inflates further is a zip bomb or damage.
    func readAll(maximum: Int) throws -> [UInt8] {
        var data: [UInt8] = []
        while true {
            let chunk = try readChunk()
            if chunk.isEmpty { return data }
            data += chunk
            guard data.count <= maximum else {
                throw CreditHubError(
                    code: "unreadable", message: "a part of the archive inflates past \(maximum >> 20) MiB", chineseMessage: "文件中的部件解压后超过 \(maximum >> 20) MiB，文件可能已损坏"
                )
            }
        }
    }

    private var errorText: String {
        archive_error_string(archive).map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown error"
    }
}
