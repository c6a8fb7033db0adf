import CreditKernel
import HTTPTypes
import Hummingbird

/// Who is submitting, until people and systems authenticate: in development mode the
/// `X-CreditHub-Source-Unit` header names the unit; otherwise every request is refused.
public struct DevelopmentSubmitter: Sendable {
    public let enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    public static let unitHeader = HTTPField.Name("X-CreditHub-Source-Unit")!
    public static let actorHeader = HTTPField.Name("X-CreditHub-Actor")!

    public func submitter(_ request: Request) throws -> Submitter {
        guard enabled else {
            throw CreditHubError(
                code: "unauthenticated",
                message: "authentication is required; for local testing start the server with --development and send X-CreditHub-Source-Unit"
            )
        }
        guard let unit = request.headers[Self.unitHeader], !unit.isEmpty else {
            throw CreditHubError(code: "unauthenticated", message: "development mode: send the submitting unit's code in X-CreditHub-Source-Unit")
        }
        return Submitter(unitCode: unit, actor: request.headers[Self.actorHeader] ?? "development:\(unit)")
    }
}
