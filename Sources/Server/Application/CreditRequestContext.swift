import CreditKernel
import Foundation
import Hummingbird
import Security

/// The per-request context every route receives.
public struct CreditRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who the request acts for, once authenticated (a fully signed-in person or a signing system).
    public var principal: Principal?
    /// The console session, at whatever stage of signing in.
    public var session: ConsoleSession?
    public var sessionToken: String?
    /// The person behind a session that has not finished signing in.
    public var sessionPerson: PersonAccount?
    /// The client's address.
    public var sourceIP: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        sourceIP = source.channel.remoteAddress?.ipAddress ?? ""
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
