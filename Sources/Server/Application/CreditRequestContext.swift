import Foundation
import Hummingbird

/// The per-request context every route receives.
public struct CreditRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// JSON with snake_case keys, the convention of the public API.
    public var responseEncoder: JSONEncoder { CreditJSON.encoder }
    public var requestDecoder: JSONDecoder { CreditJSON.decoder }
}

/// The API's JSON conventions: snake_case keys, ISO 8601 dates.
public enum CreditJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
