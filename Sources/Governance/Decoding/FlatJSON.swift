import Foundation

/// JSON records read without Foundation: a record is an object of scalars nearly always, and
/// `JSONSerialization` with its dictionaries of bridged strings cost more than governing the record.
enum FlatJSON {
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// An object's members as read: keys and values each in one row, one cell per member in
    /// document order.
    struct Object {
        var keys = TextRow()
        var values = TextRow()

        /// The order in which members count: sorted by key, a repeated key keeping its last
        /// value, as `JSONSerialization` reads them.
        var order: [Int] { FlatJSON.order(of: keys) }
    }

    /// The members of an object whose values are strings, numbers, booleans or null, as text and
    /// in key order; nil for anything else (nested values, invalid JSON), which the caller reads
    /// the slow way.
    static func members(_ bytes: UnsafeBufferPointer<UInt8>) -> [(String, String)]? {
        object(bytes).map { object in object.order.map { (object.keys.cell($0), object.values.cell($0)) } }
    }

    /// The object in `bytes` if it is flat (see `members`); values go straight into one row,
    /// without a string each.
    static func object(_ bytes: UnsafeBufferPointer<UInt8>) -> Object? {
        var index = 0
        func skipWhitespace() {
            while index < bytes.count, isWhitespace(bytes[index]) { index += 1 }
        }
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var object = Object()
        object.keys.reserve(bytes: 1024, cells: 32)
        object.values.reserve(bytes: bytes.count, cells: 32)
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard string(bytes, &index, { object.keys.append($0) }) else { return nil }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                skipWhitespace()
                guard scalar(bytes, &index, into: &object.values) else { return nil }
                object.values.endCell()
                skipWhitespace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    break
                } else {
                    return nil
                }
            }
        }
        skipWhitespace()
        guard index == bytes.count else { return nil }
        return object
    }

    /// Members by sorted key, a repeated key's last member standing for it. UTF-8 byte order is
    /// code-point order, the order of sorted keys; comparing bytes spares String comparison's
    /// Unicode normalisation, which cost more than reading the record.
    static func order(of keys: TextRow) -> [Int] {
        func compare(_ a: Int, _ b: Int) -> Int {
            keys.withCell(a) { x in
                keys.withCell(b) { y in
                    let common = min(x.count, y.count)
                    let order = common == 0 ? 0 : Int(memcmp(x.baseAddress!, y.baseAddress!, common))
                    return order != 0 ? order : x.count - y.count
                }
            }
        }
        let sorted = (0..<keys.count).sorted { lhs, rhs in
            let order = compare(lhs, rhs)
            return order == 0 ? lhs < rhs : order < 0
        }
        var order: [Int] = []
        order.reserveCapacity(sorted.count)
        for index in sorted {
            if let last = order.last, compare(last, index) == 0 {
                order[order.count - 1] = index
            } else {
                order.append(index)
            }
        }
        return order
    }

    /// Reads the string at `index` and hands its unescaped bytes to `sink` once; false if there
    /// is none or it is not valid JSON.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ sink: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        guard index < bytes.count, bytes[index] == quote else { return false }
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != quote, bytes[end] != backslash, bytes[end] >= 0x20 { end += 1 }
        guard end < bytes.count, bytes[end] >= 0x20 else { return false }
        if bytes[end] == quote {
            index = end + 1
            sink(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            return true
        }
        var text = Array(bytes[start..<end])
        index = end
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote {
                index += 1
                text.withUnsafeBufferPointer(sink)
                return true
            }
            guard byte >= 0x20 else { return false }
            guard byte == backslash else {
                text.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { return false }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case quote, backslash, UInt8(ascii: "/"): text.append(escape)
            case UInt8(ascii: "b"): text.append(0x08)
            case UInt8(ascii: "f"): text.append(0x0C)
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(bytes, &index) else { return false }
                // A surrogate pair names one character beyond the first plane.
                if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == backslash, bytes[index + 1] == UInt8(ascii: "u") {
                    var next = index + 2
                    if let low = hex4(bytes, &next), (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index = next
                    }
                }
                text.append(contentsOf: String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
            default:
                return false
            }
        }
        return false
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    /// Appends the scalar value at `index` to the open cell of `row` as text: a string, a number
    /// as `NSNumber` prints it, `true`, `false`, or nothing for null; false if it is not a scalar.
    private static func scalar(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, into row: inout TextRow) -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case quote:
            return string(bytes, &index) { row.appendToOpenCell($0) }
        case UInt8(ascii: "t"): return literal("true", bytes, &index, into: &row)
        case UInt8(ascii: "f"): return literal("false", bytes, &index, into: &row)
        case UInt8(ascii: "n"): return literal("null", bytes, &index, into: &row, asText: false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard var text = number(bytes, &index) else { return false }
            text.withUTF8 { row.appendToOpenCell($0) }
            return true
        default: return false
        }
    }

    /// Reads `word` at `index`, appending it to `row` as text unless told not to (null reads as nothing).
    private static func literal(_ word: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, into row: inout TextRow, asText: Bool = true) -> Bool {
        let length = word.utf8CodeUnitCount
        let text = UnsafeBufferPointer(start: word.utf8Start, count: length)
        guard index + length <= bytes.count, UnsafeBufferPointer(rebasing: bytes[index..<index + length]).elementsEqual(text) else { return false }
        index += length
        if asText { row.appendToOpenCell(text) }
        return true
    }

    /// A number as `JSONSerialization` and `NSNumber` print it: an integer as written, anything
    /// with a fraction or exponent as the `Double` it reads as (`2.50` is `2.5`, `2.0` stays).
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> String? {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return nil }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return nil }
            isInteger = false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return nil }
            isInteger = false
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger {
            return integerDigits <= 18 ? Int(text).map(String.init) : nil
        }
        return Double(text).map(\.description)
    }

    /// Where the JSON value starting at `start` ends (one past its last byte), skipping strings and
    /// nested values; nil if it runs past the end of `bytes`. Scalars end at a delimiter, `]`, `}`
    /// or whitespace.
    static func valueEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        var depth = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == backslash {
                    index += 2
                    continue
                }
                if byte == quote {
                    inString = false
                    if depth == 0 { return index + 1 }
                }
            } else {
                switch byte {
                case quote: inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return index }
                    depth -= 1
                    if depth == 0 { return index + 1 }
                case UInt8(ascii: ","):
                    if depth == 0 { return index }
                default:
                    if depth == 0, isWhitespace(byte) { return index }
                }
            }
            index += 1
        }
        return nil
    }
}
