/// One thing wrong with a catalogue file, located to its line.
public struct CatalogueProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based line, 0 when the problem is about the file as a whole.
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: error: message`, the form editors and CI logs link.
    public var description: String {
        "\(file):\(line):\(column): error: \(message)"
    }
}

/// A catalogue that failed validation, with every problem found.
public struct CatalogueValidationError: Error, Sendable, CustomStringConvertible {
    public var problems: [CatalogueProblem]

    public init(problems: [CatalogueProblem]) {
        self.problems = problems
    }

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
