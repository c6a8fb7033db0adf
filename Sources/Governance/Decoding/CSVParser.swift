/// An incremental RFC 4180 parser over UTF-8 bytes.
///
/// Quoted fields may hold delimiters, doubled quotes and line breaks; a record ends at LF, CRLF or
/// a lone CR outside quotes. Bytes arrive in chunks of any size; records are emitted as they
/// complete, each as one ``TextRow``, so memory stays bounded by the longest record.
///
/// A quote that opens a cell and is never closed would otherwise swallow the rows after it into
/// that cell, up to the next quote or the end of the file. When the file ends inside the cell,
/// the cell grows past `maximumQuotedCell`, its closing quote comes on a later line and is
/// followed by more text (a legitimate multi-line cell ends at a delimiter or line break), or a
/// later line of the cell holds a whole row's delimiters (see `rowLikeDelimiters`), the opening
/// quote is taken as text, what followed is parsed again, and the row is marked
/// (``TextRow/hasUnclosedQuote``) so governance can name the cause.
///
/// A record longer than `maximumRecord` (a binary file, a line that never ends) is not kept whole:
/// what follows is skipped to the next line break and the record is emitted marked
/// (``TextRow/isTruncated``), so memory stays bounded whatever the file holds.
public struct CSVParser {
    public let delimiter: UInt8
    /// Far above any catalogue field's length; a quoted cell this long is a stray quote.
    public let maximumQuotedCell: Int
    /// Bytes and cells of one record beyond which it is cut.
    public let maximumRecord: Int
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
        /// The record grew past `maximumRecord`: everything up to the next line break is dropped.
        case skippingRecord
    }

    public init(delimiter: UInt8 = UInt8(ascii: ","), maximumQuotedCell: Int = 1 << 20, maximumRecord: Int = DecodingLimits.maximumRecordBytes) {
        self.delimiter = delimiter
        self.maximumQuotedCell = maximumQuotedCell
        self.maximumRecord = maximumRecord
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
                if recordIsTooLong {
                    cutRecord()
                    continue
                }
                if end == count { continue }
                row.endCell()
                try terminate(bytes, &index, emit: emit)
            case .quoted:
                var end = index
                while end < count, bytes[end] != quote { end += 1 }
                row.appendToOpenCell(UnsafeBufferPointer(rebasing: bytes[index..<end]))
                if row.openCellByteCount > maximumQuotedCell {
                    index = end
                    try reparseUnclosedQuote(emit: emit)
                    // A CR that ended what was parsed again is followed here by a quote, not by
                    // its LF; the mark is for a CR at the end of a read.
                    if index < count { afterCR = false }
                    continue
                }
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
                    if row.openCellHasLine(withAtLeast: rowLikeDelimiters, of: delimiter) {
                        try reparseUnclosedQuote(closingQuoteConsumed: true, emit: emit)
                    } else {
                        row.endCell()
                        try terminate(bytes, &index, emit: emit)
                    }
                } else if row.openCellHasLineBreak {
                    try reparseUnclosedQuote(closingQuoteConsumed: true, emit: emit)
                } else {
                    // Text after a closing quote (`"abc"def`): keep it, as spreadsheet programs do.
                    state = .unquoted
                }
            case .skippingRecord:
                while index < count, bytes[index] != lf, bytes[index] != cr { index += 1 }
                if index < count { try terminate(bytes, &index, emit: emit) }
            }
        }
        if final {
            try finish(emit: emit)
        }
    }

    /// Delimiters on one line that make it a row rather than text: as many as the last row's cells
    /// less one, and at least 8, so a narrow file's multi-line text is never taken for rows.
    private var rowLikeDelimiters: Int {
        max(8, lastWidth.cells - 1)
    }

    /// Handles the delimiter or line break at `index`, which ended a field.
    private mutating func terminate(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, emit: (TextRow) throws -> Void) rethrows {
        let byte = bytes[index]
        index += 1
        state = .fieldStart
        if byte == delimiter {
            if recordIsTooLong { cutRecord() }
            return
        }
        if byte == 0x0D {
            if index < bytes.count {
                if bytes[index] == 0x0A { index += 1 }
            } else {
                afterCR = true
            }
        }
        try emitRow(emit)
    }

    /// Each cell took at least its delimiter, so bytes and cells together bound the input the record took.
    private var recordIsTooLong: Bool {
        row.bytes.count + row.count > maximumRecord
    }

    /// Drops what the record holds and skips the rest of it.
    private mutating func cutRecord() {
        row.removeAll(reservingCapacity: 0, cells: 0)
        row.isTruncated = true
        state = .skippingRecord
    }

    private mutating func emitRow(_ emit: (TextRow) throws -> Void) rethrows {
        if row.isEmpty, !row.isTruncated {
            // An empty line keeps the room reserved for the next row and costs no allocation: a
            // file of line breaks alone is a million of them per megabyte.
            try emit(TextRow())
            return
        }
        let record = row
        if !record.isTruncated { lastWidth = (max(64, record.bytes.count), max(4, record.count)) }
        row.removeAll(reservingCapacity: lastWidth.bytes, cells: lastWidth.cells)
        try emit(record)
    }

    /// Takes the quote that opened the current cell as text and parses what followed it again,
    /// including a quote just read as the cell's closing one.
    private mutating func reparseUnclosedQuote(closingQuoteConsumed: Bool = false, emit: (TextRow) throws -> Void) rethrows {
        let quote = UInt8(ascii: "\"")
        let content = row.takeOpenCell()
        // Inside quotes the only change to the input was a doubled quote read as one.
        var following: [UInt8] = []
        following.reserveCapacity(content.count + 64)
        for byte in content {
            following.append(byte)
            if byte == quote { following.append(quote) }
        }
        if closingQuoteConsumed { following.append(quote) }
        row.appendToOpenCell(quote)
        row.hasUnclosedQuote = true
        state = .unquoted
        try following.withUnsafeBufferPointer { try parse($0, final: false, emit: emit) }
    }

    private mutating func finish(emit: (TextRow) throws -> Void) rethrows {
        while state == .quoted {
            try reparseUnclosedQuote(emit: emit)
        }
        switch state {
        case .fieldStart:
            // A delimiter just before the end leaves one empty field to add.
            guard row.count > 0 else { return }
            row.endCell()
        case .unquoted, .quoted, .quoteInQuoted:
            row.endCell()
        case .skippingRecord:
            break
        }
        state = .fieldStart
        try emitRow(emit)
    }
}
