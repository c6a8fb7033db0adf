/// An error a user can act on: a stable code for programs and a message for people.
public struct CreditHubError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable, snake_case identifier, e.g. `schema_out_of_date`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
