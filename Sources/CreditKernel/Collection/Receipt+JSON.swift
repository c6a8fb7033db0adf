import Foundation

/// Receipt JSON as the API (compact) and the CLI (pretty) write it, with keys sorted.
public enum ReceiptJSON {
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Writes `summary` with its problem rows read page by page from `page` (given the last row
    /// written, it returns the next rows, empty at the end), so a million-row batch's receipt is
    /// written without holding it: the same text the encoder writes for the whole receipt. With
    /// `pretty`, each line is prefixed by `indent` (for receipts inside an array).
    public static func write(
        _ summary: Receipt, pretty: Bool, indent: String = "", problems page: (_ afterRow: Int) async throws -> [ProblemRowJSON],
        to emit: (String) async throws -> Void
    ) async throws {
        let encoder = encoder(pretty: pretty)
        var head = summary
        head.problems = []
        let text = String(decoding: try encoder.encode(head), as: UTF8.self)
        let placeholder = pretty ? "\"problems\" : [\n\n  ]" : "\"problems\":[]"
        // Keys are escaped inside values, so the unescaped key occurs once.
        guard let slot = text.range(of: placeholder) else {
            try await emit(indent + indented(text, indent))
            return
        }
        try await emit(indent + indented(String(text[..<slot.lowerBound]) + (pretty ? "\"problems\" : [" : "\"problems\":["), indent))
        // Each element sits two levels deep: in the receipt's object, in its "problems" array.
        let prefix = Array(indent.utf8)
        let elementIndent = prefix + Array("    ".utf8)
        var after = 0
        var first = true
        while true {
            let rows = try await page(after)
            guard let last = rows.last else { break }
            var output: [UInt8] = []
            for row in rows {
                var element: [UInt8] = []
                row.appendCompact(to: &element)
                if pretty {
                    output.append(contentsOf: first ? [0x0A] : [UInt8(ascii: ","), 0x0A])
                    output.append(contentsOf: elementIndent)
                    JSONText.appendPretty(element, level: 2, prefix: prefix, to: &output)
                } else {
                    if !first { output.append(UInt8(ascii: ",")) }
                    output.append(contentsOf: element)
                }
                first = false
            }
            try await emit(String(decoding: output, as: UTF8.self))
            after = last.row
        }
        let close = pretty ? (first ? "\n\n  ]" : "\n  ]") : "]"
        try await emit(indented(close + String(text[slot.upperBound...]), indent))
    }

    /// `text` with `indent` before every line after the first that is not empty.
    static func indented(_ text: String, _ indent: String) -> String {
        guard !indent.isEmpty else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { index, line in index == 0 || line.isEmpty ? String(line) : indent + line }
            .joined(separator: "\n")
    }
}
