/// An incremental RFC 4180 parser over UTF-8 bytes.
///
/// Quoted fields may hold delimiters, doubled quotes and line breaks; a record ends at LF, CRLF or
/// a lone CR outside quotes. Bytes arrive in chunks of any size; records are emitted as they
/// complete, each as one ``TextRow``, so memory stays bounded by the longest record.
public struct CSVParser {
    public let delimiter: UInt8
    private var row = TextRow()
    private var state: State = .fieldStart
    /// A CR ended the last record; a following LF belongs to it.
    private var afterCR = false
    private var lastWidth = (bytes: 256, cells: 16)

    enum State {
        case fieldStart
        case unquoted
        case quoted
        /// A quote inside a quoted field: either the closing quote or the first of a doubled pair.
        case quoteInQuoted
    }

    public init(delimiter: UInt8 = UInt8(ascii: ",")) {
        self.delimiter = delimiter
    }

    /// Picks comma, tab or semicolon by which occurs most in the first line outside quotes.
    public static func sniffDelimiter(_ sample: some Collection<UInt8>) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: "\t"): 0, UInt8(ascii: ";"): 0]
        var inQuotes = false
        for byte in sample {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if !inQuotes, byte == 0x0A { break }
            if !inQuotes, counts[byte] != nil { counts[byte]! += 1 }
        }
        let comma = counts[UInt8(ascii: ",")]!
        let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key != UInt8(ascii: ",")) }!
        return best.value > comma ? best.key : UInt8(ascii: ",")
    }

    /// Parses one chunk, calling `emit` with each completed record. With `final`, the last record is
    /// emitted even without a line break.
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, final: Bool, emit: (TextRow) throws -> Void) rethrows {
        let quote = UInt8(ascii: "\"")
        let lf: UInt8 = 0x0A
        let cr: UInt8 = 0x0D
        let delimiter = self.delimiter
        let count = bytes.count
        var index = 0
        if afterCR, count > 0 {
            afterCR = false
            if bytes[0] == lf { index = 1 }
        }
        while index < count {
            switch state {
            case .fieldStart:
                if bytes[index] == quote {
                    state = .quoted
                    index += 1
                    continue
                }
                state = .unquoted
                fallthrough
            case .unquoted:
                // Fast path: scan to the end of the field and take the bytes in one piece.
                var end = index
                while end < count {
                    let byte = bytes[end]
                    if byte == delimiter || byte == lf || byte == cr { break }
                    end += 1
                }
                row.appendToOpenCell(UnsafeBufferPointer(rebasing: bytes[index..<end]))
                index = end
                if end == count { continue }
                row.endCell()
                try terminate(bytes, &index, emit: emit)
            case .quoted:
                var end = index
                while end < count, bytes[end] != quote { end += 1 }
                row.appendToOpenCell(UnsafeBufferPointer(rebasing: bytes[index..<end]))
                if end == count {
                    index = end
                    continue
                }
                state = .quoteInQuoted
                index = end + 1
            case .quoteInQuoted:
                let byte = bytes[index]
                if byte == quote {
                    row.appendToOpenCell(quote)
                    state = .quoted
                    index += 1
                } else if byte == delimiter || byte == lf || byte == cr {
                    row.endCell()
                    try terminate(bytes, &index, emit: emit)
                } else {
                    // Text after a closing quote (`"abc"def`): keep it, as spreadsheet programs do.
                    state = .unquoted
                }
            }
        }
        if final {
            try finish(emit: emit)
        }
    }

    /// Handles the delimiter or line break at `index`, which ended a field.
    private mutating func terminate(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, emit: (TextRow) throws -> Void) rethrows {
        let byte = bytes[index]
        index += 1
        state = .fieldStart
        if byte == delimiter { return }
        if byte == 0x0D {
            if index < bytes.count {
                if bytes[index] == 0x0A { index += 1 }
            } else {
                afterCR = true
            }
        }
        try emitRow(emit)
    }

    private mutating func emitRow(_ emit: (TextRow) throws -> Void) rethrows {
        let record = row
        lastWidth = (max(64, record.bytes.count), max(4, record.count))
        row.removeAll(reservingCapacity: lastWidth.bytes, cells: lastWidth.cells)
        try emit(record)
    }

    private mutating func finish(emit: (TextRow) throws -> Void) rethrows {
        switch state {
        case .fieldStart:
            // A delimiter just before the end leaves one empty field to add.
            guard row.count > 0 else { return }
            row.endCell()
        case .unquoted, .quoted, .quoteInQuoted:
            row.endCell()
        }
        state = .fieldStart
        try emitRow(emit)
    }
}
