/// A small incremental XML tokenizer, enough for spreadsheet parts (SpreadsheetML): elements,
/// attributes, text and the predefined and numeric entities. Comments, processing instructions and
/// DOCTYPE are skipped; CDATA is text.
///
/// Tokens are positions in the scanner's buffer, handed out with the buffer and decoded only when
/// asked: a sheet is millions of tags, and making strings and attribute dictionaries for each cost
/// four fifths of reading it (slices of the buffer, retained and released per token, still half).
/// A token may be at most `maximumToken` bytes: the buffer holds no more than one, whatever the part.
struct XMLScanner {
    /// The bytes tokens index, valid while `scan`'s body runs.
    typealias Bytes = UnsafeBufferPointer<UInt8>

    enum Token {
        case start(Tag)
        /// The element's local name.
        case end(name: Range<Int>)
        case text(Text)
    }

    /// A start tag: its local name and, undecoded, its attributes.
    struct Tag {
        let name: Range<Int>
        let attributes: Range<Int>
        let selfClosing: Bool

        func isNamed(_ expected: StaticString, in bytes: Bytes) -> Bool {
            XMLScanner.equals(name, expected, in: bytes)
        }

        /// The value of the attribute with this local name, entities decoded.
        func attribute(_ wanted: StaticString, in bytes: Bytes) -> String? {
            rawAttribute(wanted, in: bytes).map { XMLScanner.decodeEntities(Bytes(rebasing: bytes[$0])) }
        }

        /// Calls `body` with the value of the attribute with this local name as UTF-8, entities
        /// decoded (in place unless it holds one: `r="B7"`, `t="s"` never do), or nil without it.
        func withAttribute<Result>(_ wanted: StaticString, in bytes: Bytes, _ body: (Bytes?) throws -> Result) rethrows -> Result {
            try XMLScanner.withDecoded(rawAttribute(wanted, in: bytes), in: bytes, body)
        }

        /// Where the value of the attribute with this local name stands in the document.
        func rawAttribute(_ wanted: StaticString, in bytes: Bytes) -> Range<Int>? {
            var found: Range<Int>?
            forEachAttribute(in: bytes) { name, value in
                guard XMLScanner.equals(name, wanted, in: bytes) else { return true }
                found = value
                return false
            }
            return found
        }

        /// Calls `body` with each attribute's local name and undecoded value, in order, while it returns true.
        func forEachAttribute(in bytes: Bytes, _ body: (_ name: Range<Int>, _ value: Range<Int>) -> Bool) {
            let end = attributes.upperBound
            var index = attributes.lowerBound
            while index < end {
                while index < end, XMLScanner.isSpace(bytes[index]) { index += 1 }
                var localStart = index
                while index < end, bytes[index] != UInt8(ascii: "="), !XMLScanner.isSpace(bytes[index]) {
                    if bytes[index] == UInt8(ascii: ":") { localStart = index + 1 }
                    index += 1
                }
                let name = localStart..<index
                while index < end, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "'") { index += 1 }
                guard index < end else { return }
                let quote = bytes[index]
                index += 1
                let valueStart = index
                while index < end, bytes[index] != quote { index += 1 }
                guard body(name, valueStart..<min(index, end)) else { return }
                index += 1
            }
        }
    }

    /// Calls `body` with the bytes of `range` (an attribute value) with entities decoded, in place
    /// unless it holds one; with nil for no range.
    static func withDecoded<Result>(_ range: Range<Int>?, in bytes: Bytes, _ body: (Bytes?) throws -> Result) rethrows -> Result {
        guard let range else { return try body(nil) }
        let raw = Bytes(rebasing: bytes[range])
        guard raw.contains(UInt8(ascii: "&")) else { return try body(raw) }
        return try Array(decodeEntities(raw).utf8).withUnsafeBufferPointer { try body($0) }
    }

    /// Character data as it stands in the document.
    struct Text {
        let range: Range<Int>
        let isCDATA: Bool

        func string(in bytes: Bytes) -> String {
            let text = Bytes(rebasing: bytes[range])
            return isCDATA ? String(decoding: text, as: UTF8.self) : XMLScanner.decodeEntities(text)
        }

        /// Appends the text's UTF-8, decoding entities only where there are any.
        func append(to output: inout [UInt8], from bytes: Bytes) {
            let text = Bytes(rebasing: bytes[range])
            if isCDATA || !text.contains(UInt8(ascii: "&")) { output.append(contentsOf: text) } else { output.append(contentsOf: XMLScanner.decodeEntities(text).utf8) }
        }
    }

    private var buffer: [UInt8] = []
    private var position = 0
    let maximumToken: Int

    init(maximumToken: Int = DecodingLimits.maximumXMLToken) {
        self.maximumToken = maximumToken
    }

    mutating func feed(_ bytes: [UInt8]) {
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        buffer += bytes
    }

    /// Hands each complete token to `body`, with the bytes it indexes; an incomplete one at the end
    /// waits for the next `feed`.
    /// - Throws: `unreadable` when the token waiting is longer than `maximumToken`, and what `body` throws.
    mutating func scan(_ body: (Token, Bytes) throws -> Void) throws {
        let start = position
        let maximumToken = self.maximumToken
        position = try buffer.withUnsafeBufferPointer { bytes in
            var position = start
            while let (token, next) = Self.token(in: bytes, at: position) {
                position = next
                if let token { try body(token, bytes) }
            }
            guard bytes.count - position <= maximumToken else {
                throw DecodingLimits.damagedSheet("an XML tag or text longer than \(maximumToken >> 20) MiB", chinese: "含有超过 \(maximumToken >> 20) MiB 的 XML 标签或文本")
            }
            return position
        }
    }

    /// The token at `position` (nil for markup that is skipped) and where the next one starts; nil
    /// when the token is not complete yet.
    private static func token(in bytes: Bytes, at position: Int) -> (Token?, Int)? {
        guard position < bytes.count else { return nil }
        if bytes[position] != UInt8(ascii: "<") {
            guard let end = firstIndex(of: UInt8(ascii: "<"), in: bytes, from: position) else { return nil }
            return (.text(Text(range: position..<end, isCDATA: false)), end)
        }
        // Markup: find its end. Comments and CDATA are rare; most tags are told apart by one byte.
        guard position + 1 < bytes.count else { return nil }
        if bytes[position + 1] == UInt8(ascii: "!") {
            if startsWith("<!--", in: bytes, at: position) {
                guard let end = find("-->", in: bytes, from: position + 4) else { return nil }
                return (nil, end + 3)
            }
            if startsWith("<![CDATA[", in: bytes, at: position) {
                guard let end = find("]]>", in: bytes, from: position + 9) else { return nil }
                return (.text(Text(range: (position + 9)..<end, isCDATA: true)), end + 3)
            }
        }
        guard let end = tagEnd(in: bytes, from: position + 1) else { return nil }
        let next = end + 1
        let first = position + 1
        guard first < end, bytes[first] != UInt8(ascii: "?"), bytes[first] != UInt8(ascii: "!") else { return (nil, next) }
        if bytes[first] == UInt8(ascii: "/") {
            var nameEnd = end
            while nameEnd > first + 1, isSpace(bytes[nameEnd - 1]) { nameEnd -= 1 }
            return (.end(name: localName(first + 1..<nameEnd, in: bytes)), next)
        }
        var bodyEnd = end
        let selfClosing = bytes[end - 1] == UInt8(ascii: "/")
        if selfClosing { bodyEnd -= 1 }
        var nameEnd = first
        while nameEnd < bodyEnd, !isSpace(bytes[nameEnd]) { nameEnd += 1 }
        return (.start(Tag(name: localName(first..<nameEnd, in: bytes), attributes: nameEnd..<bodyEnd, selfClosing: selfClosing)), next)
    }

    private static func firstIndex(of byte: UInt8, in bytes: Bytes, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    private static func startsWith(_ prefix: StaticString, in bytes: Bytes, at position: Int) -> Bool {
        let count = prefix.utf8CodeUnitCount
        return position + count <= bytes.count && equals(position..<(position + count), prefix, in: bytes)
    }

    private static func find(_ needle: StaticString, in bytes: Bytes, from start: Int) -> Int? {
        var index = start
        while index + needle.utf8CodeUnitCount <= bytes.count {
            if startsWith(needle, in: bytes, at: index) { return index }
            index += 1
        }
        return nil
    }

    /// The `>` closing a tag, skipping quoted attribute values.
    private static func tagEnd(in bytes: Bytes, from start: Int) -> Int? {
        var quote: UInt8 = 0
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index
            }
            index += 1
        }
        return nil
    }

    fileprivate static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// `x:row` → `row`: spreadsheet parts may use any namespace prefix.
    private static func localName(_ name: Range<Int>, in bytes: Bytes) -> Range<Int> {
        var index = name.upperBound
        while index > name.lowerBound {
            if bytes[index - 1] == UInt8(ascii: ":") { return index..<name.upperBound }
            index -= 1
        }
        return name
    }

    static func equals(_ range: Range<Int>, _ expected: StaticString, in bytes: Bytes) -> Bool {
        guard range.count == expected.utf8CodeUnitCount else { return false }
        let expected = expected.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != expected[offset] { return false }
        return true
    }

    static func decodeEntities(_ bytes: Bytes) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&"), let semicolon = bytes[index..<min(bytes.count, index + 12)].firstIndex(of: UInt8(ascii: ";")) else {
                output.append(byte)
                index += 1
                continue
            }
            let entity = String(decoding: Bytes(rebasing: bytes[(index + 1)..<semicolon]), as: UTF8.self)
            var replacement: String?
            switch entity {
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "amp": replacement = "&"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if entity.hasPrefix("#x"), let code = UInt32(entity.dropFirst(2), radix: 16), let scalar = Unicode.Scalar(code) {
                    replacement = String(Character(scalar))
                } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()), let scalar = Unicode.Scalar(code) {
                    replacement = String(Character(scalar))
                }
            }
            if let replacement {
                output += Array(replacement.utf8)
                index = semicolon + 1
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
