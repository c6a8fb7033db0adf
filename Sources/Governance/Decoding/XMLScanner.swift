/// A small incremental XML tokenizer, enough for spreadsheet parts (SpreadsheetML): elements,
/// attributes, text and the predefined and numeric entities. Comments, processing instructions and
/// DOCTYPE are skipped; CDATA is text.
///
/// Tokens are slices of the scanner's buffer, decoded only when asked: a sheet is millions of
/// tags, and making strings and attribute dictionaries for each cost four fifths of reading it.
/// A token may be at most `maximumToken` bytes: the buffer holds no more than one, whatever the part.
struct XMLScanner {
    enum Token {
        case start(Tag)
        /// The element's local name.
        case end(name: ArraySlice<UInt8>)
        case text(Text)
    }

    /// A start tag: its local name and, undecoded, its attributes.
    struct Tag {
        let name: ArraySlice<UInt8>
        let attributes: ArraySlice<UInt8>
        let selfClosing: Bool

        func isNamed(_ expected: StaticString) -> Bool {
            XMLScanner.equals(name, expected)
        }

        /// The value of the attribute with this local name, entities decoded.
        func attribute(_ wanted: StaticString) -> String? {
            rawAttribute(wanted).map(XMLScanner.decodeEntities)
        }

        /// The value of the attribute with this local name, entities decoded, as UTF-8: without
        /// a string when there are none (`r="B7"`, `t="s"`).
        func decodedAttribute(_ wanted: StaticString) -> ArraySlice<UInt8>? {
            guard let raw = rawAttribute(wanted) else { return nil }
            return raw.contains(UInt8(ascii: "&")) ? Array(XMLScanner.decodeEntities(raw).utf8)[...] : raw
        }

        /// The value of the attribute with this local name as it stands in the document.
        private func rawAttribute(_ wanted: StaticString) -> ArraySlice<UInt8>? {
            let base = attributes.startIndex
            let range: Range<Int>? = attributes.withUnsafeBufferPointer { attributes in
                let wanted = UnsafeBufferPointer(start: wanted.utf8Start, count: wanted.utf8CodeUnitCount)
                let end = attributes.count
                var index = 0
                while index < end {
                    while index < end, XMLScanner.isSpace(attributes[index]) { index += 1 }
                    var localStart = index
                    while index < end, attributes[index] != UInt8(ascii: "="), !XMLScanner.isSpace(attributes[index]) {
                        if attributes[index] == UInt8(ascii: ":") { localStart = index + 1 }
                        index += 1
                    }
                    let matches = index - localStart == wanted.count && UnsafeBufferPointer(rebasing: attributes[localStart..<index]).elementsEqual(wanted)
                    while index < end, attributes[index] != UInt8(ascii: "\""), attributes[index] != UInt8(ascii: "'") { index += 1 }
                    guard index < end else { return nil }
                    let quote = attributes[index]
                    index += 1
                    let valueStart = index
                    while index < end, attributes[index] != quote { index += 1 }
                    if matches { return valueStart..<min(index, end) }
                    index += 1
                }
                return nil
            }
            return range.map { attributes[(base + $0.lowerBound)..<(base + $0.upperBound)] }
        }
    }

    /// Character data as it stands in the document.
    struct Text {
        let bytes: ArraySlice<UInt8>
        let isCDATA: Bool

        var string: String {
            isCDATA ? String(decoding: bytes, as: UTF8.self) : XMLScanner.decodeEntities(bytes)
        }

        /// Appends the text's UTF-8, decoding entities only where there are any.
        func append(to output: inout [UInt8]) {
            if isCDATA || !bytes.contains(UInt8(ascii: "&")) { output.append(contentsOf: bytes) } else { output.append(contentsOf: string.utf8) }
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

    /// The next complete token, or nil when more input is needed.
    /// - Throws: `unreadable` when the token being read is longer than `maximumToken`.
    mutating func next() throws -> Token? {
        if let token = nextComplete() { return token }
        guard buffer.count - position <= maximumToken else {
            throw DecodingLimits.damagedSheet("an XML tag or text longer than \(maximumToken >> 20) MiB", chinese: "含有超过 \(maximumToken >> 20) MiB 的 XML 标签或文本")
        }
        return nil
    }

    private mutating func nextComplete() -> Token? {
        while position < buffer.count {
            if buffer[position] != UInt8(ascii: "<") {
                guard let end = buffer[position...].firstIndex(of: UInt8(ascii: "<")) else { return nil }
                let text = buffer[position..<end]
                position = end
                return .text(Text(bytes: text, isCDATA: false))
            }
            // Markup: find its end. Comments and CDATA are rare; most tags are told apart by one byte.
            guard position + 1 < buffer.count else { return nil }
            if buffer[position + 1] == UInt8(ascii: "!"), buffer[position...].starts(with: "<!--".utf8) {
                guard let end = find(Array("-->".utf8), from: position + 4) else { return nil }
                position = end + 3
                continue
            }
            if buffer[position + 1] == UInt8(ascii: "!"), buffer[position...].starts(with: "<![CDATA[".utf8) {
                guard let end = find(Array("]]>".utf8), from: position + 9) else { return nil }
                let text = buffer[(position + 9)..<end]
                position = end + 3
                return .text(Text(bytes: text, isCDATA: true))
            }
            guard let end = tagEnd(from: position + 1) else { return nil }
            let tag = buffer[(position + 1)..<end]
            position = end + 1
            guard let first = tag.first else { continue }
            if first == UInt8(ascii: "?") || first == UInt8(ascii: "!") { continue }
            if first == UInt8(ascii: "/") {
                var name = tag.dropFirst()
                while let last = name.last, Self.isSpace(last) { name = name.dropLast() }
                return .end(name: Self.localName(name))
            }
            return .start(Self.startTag(tag))
        }
        return nil
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + needle.count <= buffer.count {
            if buffer[index] == needle[0], buffer[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// The `>` closing a tag, skipping quoted attribute values.
    private func tagEnd(from start: Int) -> Int? {
        var quote: UInt8?
        var index = start
        while index < buffer.count {
            let byte = buffer[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func startTag(_ tag: ArraySlice<UInt8>) -> Tag {
        var body = tag
        var selfClosing = false
        if body.last == UInt8(ascii: "/") {
            selfClosing = true
            body = body.dropLast()
        }
        var index = body.startIndex
        while index < body.endIndex, !isSpace(body[index]) { index += 1 }
        return Tag(name: localName(body[body.startIndex..<index]), attributes: body[index...], selfClosing: selfClosing)
    }

    fileprivate static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// `x:row` → `row`: spreadsheet parts may use any namespace prefix.
    fileprivate static func localName(_ name: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let colon = name.lastIndex(of: UInt8(ascii: ":")) else { return name }
        return name[(colon + 1)...]
    }

    static func equals(_ bytes: ArraySlice<UInt8>, _ expected: StaticString) -> Bool {
        bytes.count == expected.utf8CodeUnitCount && bytes.elementsEqual(UnsafeBufferPointer(start: expected.utf8Start, count: expected.utf8CodeUnitCount))
    }

    static func decodeEntities(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&"), let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                output.append(byte)
                index += 1
                continue
            }
            let entity = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
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
