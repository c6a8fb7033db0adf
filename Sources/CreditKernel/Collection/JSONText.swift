/// JSON string escaping without Foundation's encoder, for hot paths (record bodies, receipts' problem rows).
public enum JSONText {
    public static func appendString(_ string: String, to output: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(bytes: $0, to: &output) }
    }

    public static func appendString(bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            default:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONText {
    /// `[{"code":…,"field":…,"message":…,"message_en":…,"original":…,"value":…}]`, the same
    /// form `JSONEncoder` writes for `[Issue]` (keys sorted, nil members left out).
    public static func issues(_ issues: [Issue]) -> String {
        var output: [UInt8] = [UInt8(ascii: "[")]
        for (index, issue) in issues.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: Array(#"{"code":"#.utf8))
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
        return String(decoding: output, as: UTF8.self)
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
}
