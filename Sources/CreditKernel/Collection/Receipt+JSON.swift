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
        _ summary: Receipt, pretty: Bool, indent: String = "", problems page: (_ afterRow: Int) async throws -> [ProblemRow],
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
        var after = 0
        var first = true
        while true {
            let rows = try await page(after)
            guard let last = rows.last else { break }
            let array = String(decoding: try encoder.encode(rows), as: UTF8.self)
            if pretty {
                // A page encodes as "[\n  {…},\n  {…}\n]": its elements, two levels deeper.
                try await emit(indented((first ? "\n" : ",\n") + "  " + indented(String(array.dropFirst(2).dropLast(2)), "  "), indent))
            } else {
                try await emit((first ? "" : ",") + array.dropFirst().dropLast())
            }
            first = false
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
