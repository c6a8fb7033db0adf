/// An error a user can act on: a stable code for programs and a message for people.
public struct CreditHubError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable, snake_case identifier, e.g. `schema_out_of_date`.
    public var code: String
    /// In English.
    public var message: String
    /// In Chinese, where the error reaches department staff (receipts, the console).
    public var chineseMessage: String?

    public init(code: String, message: String, chineseMessage: String? = nil) {
        self.code = code
        self.message = message
        self.chineseMessage = chineseMessage
    }

    public var description: String { "\(code): \(message)" }
}
