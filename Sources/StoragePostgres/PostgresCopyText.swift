import CreditKernel
import NIOCore

/// Rows in PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
struct PostgresCopyText {
    private(set) var buffer: ByteBuffer
    /// Scratch space for formatting integers without a String.
    private var digits = [UInt8](repeating: 0, count: 20)

    init(capacity: Int = 1 << 20) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { text(utf8: $0) }
    }

    mutating func text(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        // Copy runs of ordinary bytes in one go; only backslash, tab and line breaks need escaping.
        var runStart = 0
        var index = 0
        while index < bytes.count {
            // Eight bytes at a time while none is a backslash or below 0x0E (tab, LF, CR and other
            // controls, which are then looked at one by one).
            if index + 8 <= bytes.count {
                let word = WordScan.word(bytes, at: index)
                if !WordScan.hasByte(below: 0x0E, in: word), !WordScan.hasByte(0x5C, in: word) {
                    index += 8
                    continue
                }
            }
            let byte = bytes[index]
            guard byte == 0x5C || byte == 0x09 || byte == 0x0A || byte == 0x0D else {
                index += 1
                continue
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart..<index]))
            index += 1
            runStart = index
            switch byte {
            case 0x5C: buffer.writeBytes([0x5C, 0x5C])
            case 0x09: buffer.writeBytes([0x5C, UInt8(ascii: "t")])
            case 0x0A: buffer.writeBytes([0x5C, UInt8(ascii: "n")])
            default: buffer.writeBytes([0x5C, UInt8(ascii: "r")])
            }
        }
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart..<bytes.count]))
        separator()
    }

    mutating func optionalText(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    mutating func integer<I: BinaryInteger>(_ value: I) {
        var magnitude = UInt64(value.magnitude)
        var index = digits.count
        repeat {
            index -= 1
            digits[index] = UInt8(0x30 + magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        buffer.writeBytes(digits[index...])
        separator()
    }

    mutating func optionalInteger<I: BinaryInteger>(_ value: I?) {
        if let value { integer(value) } else { null() }
    }

    /// A digest as bytea in hex form (`\x…`, the backslash escaped for COPY), written in place.
    mutating func digest(_ value: Digest128) {
        buffer.writeStaticString("\\\\x")
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { output in
            for nibble in 0..<32 {
                let word = nibble < 16 ? value.high : value.low
                let digit = UInt8(truncatingIfNeeded: word >> UInt64(60 - 4 * (nibble % 16))) & 0xF
                output[nibble] = digit < 10 ? 0x30 + digit : 0x57 + digit
            }
            return 32
        }
        separator()
    }

    mutating func null() {
        buffer.writeStaticString("\\N")
        separator()
    }

    private mutating func separator() {
        buffer.writeInteger(UInt8(0x09))
    }

    /// Ends the row (replacing the trailing tab with a newline).
    mutating func endRow() {
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        buffer.writeInteger(UInt8(0x0A))
    }

    var isEmpty: Bool { buffer.readableBytes == 0 }

    mutating func take() -> ByteBuffer {
        let full = buffer
        buffer = ByteBufferAllocator().buffer(capacity: full.capacity)
        return full
    }
}
