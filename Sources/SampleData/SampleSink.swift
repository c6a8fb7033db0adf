import CreditKernel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes CSV rows to a file or standard output, in UTF-8 or GB18030, buffered.
public final class SampleSink {
    private let handle: FileHandle
    private let closeWhenDone: Bool
    private let converter: iconv_t?
    private var buffer: [UInt8] = []

    public init(path: String?, encoding: TextEncoding) throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw CreditHubError(code: "cannot_write", message: "cannot write \(path)")
            }
            self.handle = handle
            closeWhenDone = true
        } else {
            handle = FileHandle.standardOutput
            closeWhenDone = false
        }
        converter = encoding == .gb18030 ? iconv_open("GB18030", "UTF-8") : nil
    }

    public func write(_ cells: [String]) throws {
        let line = cells.map { cell in
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",") + "\r\n"
        buffer += Array(line.utf8)
        if buffer.count > 1 << 20 { try flush() }
    }

    public func close() throws {
        try flush()
        if closeWhenDone { try handle.close() }
        if let converter { iconv_close(converter) }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        if let converter {
            var output = [UInt8](repeating: 0, count: buffer.count * 2)
            let produced = buffer.withUnsafeMutableBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(input.baseAddress!).assumingMemoryBound(to: CChar.self)
                    var inLeft = input.count
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: CChar.self)
                    var outLeft = out.count
                    _ = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                    return out.count - outLeft
                }
            }
            try handle.write(contentsOf: output.prefix(produced))
        } else {
            try handle.write(contentsOf: buffer)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
