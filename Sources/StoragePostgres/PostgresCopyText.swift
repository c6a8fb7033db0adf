import NIOCore

/// Rows in PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
struct PostgresCopyText {
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 1 << 20) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func text(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case 0x5C: buffer.writeBytes([0x5C, 0x5C])
            case 0x09: buffer.writeBytes([0x5C, UInt8(ascii: "t")])
            case 0x0A: buffer.writeBytes([0x5C, UInt8(ascii: "n")])
            case 0x0D: buffer.writeBytes([0x5C, UInt8(ascii: "r")])
            default: buffer.writeInteger(byte)
            }
        }
        separator()
    }

    mutating func optionalText(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    mutating func integer<I: BinaryInteger>(_ value: I) {
        buffer.writeString(String(value))
        separator()
    }

    mutating func optionalInteger<I: BinaryInteger>(_ value: I?) {
        if let value { integer(value) } else { null() }
    }

    /// bytea in hex form (`\x…`), with the backslash escaped for COPY.
    mutating func bytes(_ value: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        buffer.writeBytes([0x5C, 0x5C, UInt8(ascii: "x")])
        for byte in value {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0xF)])
        }
        separator()
    }

    mutating func null() {
        buffer.writeBytes([0x5C, UInt8(ascii: "N")])
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
