import CreditKernel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Turns a stream of bytes in some encoding into a stream of UTF-8, chunk by chunk, keeping
/// sequences cut by a chunk boundary for the next call. Undecodable bytes become U+FFFD and are
/// counted, so the reader can tell which rows were damaged.
public struct Transcoder: ~Copyable {
    public let encoding: TextEncoding
    private var converter: iconv_t?
    private var pending: [UInt8] = []
    /// How many undecodable sequences were replaced so far.
    public private(set) var replacements = 0

    public init(encoding: TextEncoding) throws {
        self.encoding = encoding
        let source: String
        switch encoding {
        case .utf8:
            converter = nil
            return
        case .utf16LittleEndian: source = "UTF-16LE"
        case .utf16BigEndian: source = "UTF-16BE"
        case .gb18030: source = "GB18030"
        }
        let handle = iconv_open("UTF-8", source)
        guard let handle, handle != iconv_t(bitPattern: -1) else {
            throw CreditHubError(code: "encoding_unavailable", message: "the system cannot convert from \(source)", chineseMessage: "系统无法转换 \(source) 编码")
        }
        converter = handle
    }

    deinit {
        if let converter { iconv_close(converter) }
    }

    /// Converts `input`, appending UTF-8 to `output`. With `final`, an incomplete trailing sequence
    /// is replaced rather than kept.
    public mutating func convert(_ input: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) {
        if converter == nil {
            convertUTF8(input, final: final, into: &output)
            return
        }
        var bytes = pending
        bytes.append(contentsOf: input)
        pending.removeAll(keepingCapacity: true)
        bytes.withUnsafeMutableBufferPointer { buffer in
            var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
            var inLeft = buffer.count
            var scratch = [UInt8](repeating: 0, count: max(4096, buffer.count * 2))
            while inLeft > 0 {
                let produced: Int
                let result: Int
                let error: Int32
                (produced, result, error) = scratch.withUnsafeMutableBytes { out in
                    var outPointer: UnsafeMutablePointer<CChar>? = out.baseAddress?.assumingMemoryBound(to: CChar.self)
                    var outLeft = out.count
                    let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (out.count - outLeft, result, result == -1 ? errno : 0)
                }
                output.append(contentsOf: scratch[0..<produced])
                if result != -1 { break }
                switch error {
                case E2BIG:
                    continue
                case EINVAL:
                    // An incomplete sequence at the end of the input: keep it for the next chunk.
                    if final {
                        output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                        replacements += 1
                    } else if let start = inPointer {
                        pending.append(contentsOf: UnsafeRawBufferPointer(start: start, count: inLeft))
                    }
                    inLeft = 0
                default:
                    // EILSEQ: skip one undecodable byte (one code unit for UTF-16) and go on.
                    let skip = encoding == .gb18030 ? 1 : min(2, inLeft)
                    output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                    replacements += 1
                    inPointer = inPointer.map { $0 + skip }
                    inLeft -= skip
                }
            }
        }
    }

    /// UTF-8 passes through after validation; invalid bytes become U+FFFD.
    private mutating func convertUTF8(_ input: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) {
        var joined: [UInt8] = []
        if !pending.isEmpty {
            joined = pending + Array(input)
            pending.removeAll(keepingCapacity: true)
        }
        if joined.isEmpty {
            validate(input, final: final, into: &output)
        } else {
            joined.withUnsafeBytes { validate($0, final: final, into: &output) }
        }
    }

    private mutating func validate(_ bytes: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) {
        let count = bytes.count
        output.reserveCapacity(output.count + count)
        var index = 0
        var runStart = 0
        while index < count {
            // Fast paths for what nearly all text is: eight ASCII bytes, or a three-byte
            // character from U+1000 to U+CFFF (every common Chinese character).
            if index + 8 <= count, UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                index += 8
                continue
            }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            if lead >= 0xE1, lead <= 0xEC, index + 2 < count, bytes[index + 1] & 0xC0 == 0x80, bytes[index + 2] & 0xC0 == 0x80 {
                index += 3
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: length = 0
            }
            var valid = length > 0
            var available = 1
            if valid {
                // The second byte has the tighter range; the others are plain continuations.
                for offset in 1..<length {
                    guard index + offset < count else { break }
                    let byte = bytes[index + offset]
                    let ok = offset == 1 ? (byte >= lower && byte <= upper) : (byte & 0xC0 == 0x80)
                    guard ok else {
                        valid = false
                        break
                    }
                    available += 1
                }
            }
            if valid, available == length {
                index += length
                continue
            }
            if valid, !final {
                // A sequence cut by the chunk boundary: finish it with the next chunk.
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<count]))
                return
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            output.append(contentsOf: [0xEF, 0xBF, 0xBD])
            replacements += 1
            index += 1
            runStart = index
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<count]))
    }
}
