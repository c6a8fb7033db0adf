/// A small incremental XML tokenizer, enough for spreadsheet parts (SpreadsheetML): elements,
/// attributes, text and the predefined and numeric entities. Comments, processing instructions and
/// DOCTYPE are skipped; CDATA is text.
struct XMLScanner {
    enum Token {
        case start(name: String, attributes: [String: String], selfClosing: Bool)
        case end(name: String)
        case text(String)
    }

    private var buffer: [UInt8] = []
    private var position = 0

    mutating func feed(_ bytes: [UInt8]) {
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        buffer += bytes
    }

    /// The next complete token, or nil when more input is needed.
    mutating func next() -> Token? {
        while position < buffer.count {
            if buffer[position] != UInt8(ascii: "<") {
                guard let end = buffer[position...].firstIndex(of: UInt8(ascii: "<")) else { return nil }
                let text = Self.decodeEntities(buffer[position..<end])
                position = end
                return .text(text)
            }
            // Markup: find its end.
            if buffer[position...].starts(with: Array("<!--".utf8)) {
                guard let end = find(Array("-->".utf8), from: position + 4) else { return nil }
                position = end + 3
                continue
            }
            if buffer[position...].starts(with: Array("<![CDATA[".utf8)) {
                guard let end = find(Array("]]>".utf8), from: position + 9) else { return nil }
                let text = String(decoding: buffer[(position + 9)..<end], as: UTF8.self)
                position = end + 3
                return .text(text)
            }
            guard let end = tagEnd(from: position + 1) else { return nil }
            let tag = buffer[(position + 1)..<end]
            position = end + 1
            guard let first = tag.first else { continue }
            if first == UInt8(ascii: "?") || first == UInt8(ascii: "!") { continue }
            if first == UInt8(ascii: "/") {
                return .end(name: Self.localName(String(decoding: tag.dropFirst(), as: UTF8.self).trimmingSpaces()))
            }
            return Self.startTag(tag)
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

    private static func startTag(_ tag: ArraySlice<UInt8>) -> Token {
        var body = tag
        var selfClosing = false
        if body.last == UInt8(ascii: "/") {
            selfClosing = true
            body = body.dropLast()
        }
        var index = body.startIndex
        while index < body.endIndex, !isSpace(body[index]) { index += 1 }
        let name = localName(String(decoding: body[body.startIndex..<index], as: UTF8.self))
        var attributes: [String: String] = [:]
        while index < body.endIndex {
            while index < body.endIndex, isSpace(body[index]) { index += 1 }
            let nameStart = index
            while index < body.endIndex, body[index] != UInt8(ascii: "="), !isSpace(body[index]) { index += 1 }
            let attributeName = localName(String(decoding: body[nameStart..<index], as: UTF8.self))
            while index < body.endIndex, body[index] != UInt8(ascii: "\""), body[index] != UInt8(ascii: "'") { index += 1 }
            guard index < body.endIndex else { break }
            let quote = body[index]
            index += 1
            let valueStart = index
            while index < body.endIndex, body[index] != quote { index += 1 }
            attributes[attributeName] = decodeEntities(body[valueStart..<min(index, body.endIndex)])
            index += 1
        }
        return .start(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// `x:row` → `row`: spreadsheet parts may use any namespace prefix.
    private static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
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

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\n" || first == "\t" || first == "\r" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\n" || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
