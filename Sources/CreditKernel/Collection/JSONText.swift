/// JSON writing without Foundation's encoder, for hot paths (record bodies, receipts' problem
/// rows). Writes the same text `JSONEncoder` does with sorted keys and unescaped slashes.
public enum JSONText {
    public static func appendString(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(bytes: $0, to: &output) }
    }

    public static func appendString(bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        while index < bytes.count {
            // Eight bytes at a time while none needs escaping: record bodies are mostly Chinese text.
            if index + 8 <= bytes.count {
                let word = WordScan.word(bytes, at: index)
                if !WordScan.hasByte(below: 0x20, in: word), !WordScan.hasByte(0x22, in: word), !WordScan.hasByte(0x5C, in: word) {
                    index += 8
                    continue
                }
            }
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            index += 1
            runStart = index
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            default:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        output.append(UInt8(ascii: "\""))
    }

    static func appendInteger(_ value: Int, to output: inout [UInt8]) {
        output.append(contentsOf: String(value).utf8)
    }
}

extension JSONText {
    /// `[{"code":…,"field":…,"message":…,"message_en":…,"original":…,"value":…}]`, the form
    /// `JSONEncoder` writes for `[Issue]` (keys sorted, nil members left out).
    public static func issues(_ issues: [Issue]) -> String {
        var output: [UInt8] = []
        appendIssues(issues, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    static func appendIssues(_ issues: [Issue], to output: inout [UInt8]) {
        output.append(UInt8(ascii: "["))
        for (index, issue) in issues.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: #"{"code":"#.utf8)
            appendString(issue.code.rawValue, to: &output)
            for (key, value) in [("field", issue.field), ("message", issue.message), ("message_en", issue.messageEnglish), ("original", issue.original), ("value", issue.value)] {
                guard let value else { continue }
                output.append(UInt8(ascii: ","))
                appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                appendString(value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
        output.append(UInt8(ascii: "]"))
    }

    /// A JSON array of strings.
    public static func strings(_ strings: [String]) -> String {
        var output: [UInt8] = [UInt8(ascii: "[")]
        for (index, string) in strings.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            appendString(string, to: &output)
        }
        output.append(UInt8(ascii: "]"))
        return String(decoding: output, as: UTF8.self)
    }

    /// A problem row as the receipt holds it, written compactly. Issues are many and written by
    /// hand; a conflict reference is rare and left to the encoder.
    public static func problemRow(_ problem: ProblemRow) throws -> ProblemRowJSON {
        var issues: [UInt8] = []
        appendIssues(problem.issues, to: &issues)
        let conflict = try problem.conflict.map { try ReceiptJSON.encoder(pretty: false).encode($0) }
        return ProblemRowJSON(row: problem.row, status: problem.status, issuesJSON: issues, conflictJSON: conflict)
    }
}

/// A problem row already written as JSON: its issues and conflict reference as compact JSON text,
/// as the store keeps them, so a receipt with a hundred thousand problem rows is written out
/// without decoding and re-encoding each one.
public struct ProblemRowJSON: Sendable, Hashable {
    public var row: Int
    public var status: RowStatus
    public var issuesJSON: [UInt8]
    public var conflictJSON: [UInt8]?

    public init(row: Int, status: RowStatus, issuesJSON: some Sequence<UInt8>, conflictJSON: (some Sequence<UInt8>)?) {
        self.row = row
        self.status = status
        self.issuesJSON = Array(issuesJSON)
        self.conflictJSON = conflictJSON.map { Array($0) }
    }

    /// `{"conflict":…,"issues":[…],"row":17,"status":"rejected"}`, keys sorted as `JSONEncoder` sorts them.
    public func appendCompact(to output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        if let conflictJSON {
            output.append(contentsOf: #""conflict":"#.utf8)
            output.append(contentsOf: conflictJSON)
            output.append(UInt8(ascii: ","))
        }
        output.append(contentsOf: #""issues":"#.utf8)
        output.append(contentsOf: issuesJSON)
        output.append(contentsOf: #","row":"#.utf8)
        JSONText.appendInteger(row, to: &output)
        output.append(contentsOf: #","status":""#.utf8)
        output.append(contentsOf: status.rawValue.utf8)
        output.append(contentsOf: #""}"#.utf8)
    }
}

extension JSONText {
    /// Re-writes compact JSON (no whitespace between tokens) in `JSONEncoder`'s pretty form: two
    /// spaces a level, `"key" : value`, an empty container as an open line. Every line after the
    /// first starts with `prefix` and then the indentation of `level` plus its nesting.
    public static func appendPretty(_ compact: [UInt8], level: Int, prefix: [UInt8], to output: inout [UInt8]) {
        compact.withUnsafeBufferPointer { compact in
            output.reserveCapacity(output.count + compact.count * 2)
            var depth = level
            func newline(_ depth: Int) {
                output.append(0x0A)
                output.append(contentsOf: prefix)
                output.append(contentsOf: repeatElement(0x20, count: 2 * depth))
            }
            var index = 0
            while index < compact.count {
                let byte = compact[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    // A string is copied whole, up to its closing quote (an escaped quote is no end).
                    var end = index
                    while end < compact.count, compact[end] != UInt8(ascii: "\"") {
                        end += compact[end] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    end = min(end + 1, compact.count)
                    output.append(byte)
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: compact[index..<end]))
                    index = end
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    output.append(byte)
                    if index < compact.count, compact[index] == byte + 2 {
                        output.append(0x0A)
                        newline(depth)
                        output.append(byte + 2)
                        index += 1
                    } else {
                        depth += 1
                        newline(depth)
                    }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    newline(depth)
                    output.append(byte)
                case UInt8(ascii: ","):
                    output.append(byte)
                    newline(depth)
                case UInt8(ascii: ":"):
                    output.append(0x20)
                    output.append(byte)
                    output.append(0x20)
                default:
                    output.append(byte)
                }
            }
        }
    }
}
