import Crypto
import CreditKernel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Security

/// Authentication, authorization and CSRF in one place, before any handler runs:
/// 1. who: a console session cookie, or a signed request (systems);
/// 2. may they: the route's permission from ``Policy`` against the principal's roles;
/// 3. is it them: cookie-authenticated forms must carry the session's CSRF token.
/// Refusals are 401 (not authenticated) or 403 (not permitted) with a reason code, and are audited.
struct SecurityMiddleware: RouterMiddleware {
    typealias Context = CreditRequestContext

    let identity: IdentityService
    /// Accept `X-CreditHub-Source-Unit` as a provider's identity (development mode only).
    let development: Bool

    static let sessionCookie = "credithub_session"
    static let csrfField = "_csrf"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        let endpoint = context.endpointPath ?? request.uri.path
        guard let permission = Policy.permission(method: request.method.rawValue, endpoint: endpoint) else {
            // A route without a policy entry is a programming error: refuse rather than guess.
            throw CreditHubError(code: "forbidden", message: "no access policy for \(request.method.rawValue) \(endpoint)")
        }
        // 1. Who.
        if request.headers[HTTPField.Name(RequestSignature.keyHeader)!] != nil {
            let signed = IdentityService.SignedRequest(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                keyID: request.headers[HTTPField.Name(RequestSignature.keyHeader)!], timestamp: request.headers[HTTPField.Name(RequestSignature.timestampHeader)!],
                nonce: request.headers[HTTPField.Name(RequestSignature.nonceHeader)!], bodyDigest: request.headers[HTTPField.Name(RequestSignature.contentHeader)!],
                signature: request.headers[HTTPField.Name(RequestSignature.signatureHeader)!]
            )
            switch try await identity.authenticate(signed, sourceIP: context.sourceIP) {
            case .success(let principal):
                context.principal = principal
                if request.method == .get || request.method == .head {
                    guard signed.bodyDigest?.lowercased() == RequestSignature.emptyBodyDigest else {
                        let refusal = CreditHubError(code: RequestSignature.Refusal.bodyDigestMismatch.rawValue, message: RequestSignature.Refusal.bodyDigestMismatch.message)
                        try await auditBodyMismatch(refusal, request, context)
                        throw refusal
                    }
                } else {
                    // The body must match the digest that was signed; checked as it streams.
                    request.body = RequestBody(asyncSequence: DigestCheckedBody(body: request.body, expected: signed.bodyDigest ?? ""))
                }
            case .failure(let refusal):
                throw CreditHubError(code: refusal.rawValue, message: refusal.message)
            }
        } else if let token = request.cookies[Self.sessionCookie]?.value, let (session, person, unit) = try await identity.session(token: token) {
            context.session = session
            context.sessionToken = token
            context.sessionPerson = person
            if session.stage == .complete { context.principal = .person(person, unit: unit) }
        } else if development, let unit = request.headers[DevelopmentIdentity.unitHeader] {
            context.principal = .system(
                SystemAccount(id: request.headers[DevelopmentIdentity.actorHeader] ?? "development", name: "development", unitID: unit, roles: [.providerSystem], disabled: false, createdAt: Date()),
                unit: OrganisationUnit(id: unit, code: unit, name: unit, createdAt: Date()), keyID: "development"
            )
        }
        // 2. May they.
        switch permission {
        case .anonymous:
            break
        case .session:
            if context.session == nil {
                guard context.principal == nil else { throw CreditHubError(code: "forbidden", message: "console pages are for people; systems use /api/v1") }
                throw Self.notSignedIn(request)
            }
        default:
            guard let principal = context.principal else { throw Self.notSignedIn(request) }
            guard Policy.allows(permission, roles: principal.roles) else {
                try await identity.audit.record(
                    AuditRecord(actor: principal.auditActor, sourceIP: context.sourceIP, action: "access", target: "\(request.method.rawValue) \(request.uri.path)", outcome: .denied, details: ["needs": permission.rawValue])
                )
                throw CreditHubError(code: "forbidden", message: "your roles do not allow this (\(permission.rawValue) needed)")
            }
        }
        // 3. CSRF: a cookie session changing something must prove the page came from us.
        if context.session != nil, request.method != .get, request.method != .head {
            let headerToken = request.headers[Self.csrfHeader]
            var formToken: String?
            if headerToken == nil, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
                let body = try await request.body.collect(upTo: 1 << 20)
                formToken = FormData(urlEncoded: String(buffer: body))[Self.csrfField]
                request.body = RequestBody(buffer: body)
            } else if headerToken == nil, request.headers[.contentType]?.hasPrefix("multipart/form-data") == true {
                formToken = request.uri.queryParameters[Substring(Self.csrfField)].map(String.init)
            }
            guard let token = headerToken ?? formToken, let session = context.session, RandomToken.constantTimeEqual(token, session.csrfToken) else {
                throw CreditHubError(code: "csrf", message: "the form is stale or not from this site; reload the page and try again")
            }
        }
        do {
            return try await next(request, context)
        } catch let error as CreditHubError where error.code == RequestSignature.Refusal.bodyDigestMismatch.rawValue {
            // Thrown while the handler streamed the body: the request was signed, its body was not.
            try await auditBodyMismatch(error, request, context)
            throw error
        }
    }

    /// A signed request whose body differs from the signed digest: refused like the other
    /// signature failures, and audited with them, as tampering in transit or a broken client.
    func auditBodyMismatch(_ refusal: CreditHubError, _ request: Request, _ context: Context) async throws {
        guard let principal = context.principal else { return }
        try await identity.audit.record(
            AuditRecord(
                actor: principal.auditActor, sourceIP: context.sourceIP, action: "api.authenticate", target: request.uri.path, outcome: .denied,
                details: ["reason": refusal.code, "method": request.method.rawValue]
            )
        )
    }

    static func notSignedIn(_ request: Request) -> any Error {
        // People get the sign-in page; programs get 401.
        if request.method == .get, request.headers[.accept]?.contains("text/html") == true {
            return RedirectError(location: "/login")
        }
        return CreditHubError(code: "unauthenticated", message: "sign in, or sign the request (see docs/api-auth.md)")
    }
}

/// Redirects a browser (sign-in needed).
struct RedirectError: HTTPResponseError {
    let location: String
    var status: HTTPResponse.Status { .seeOther }
    var headers: HTTPFields { [.location: location] }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// A request body that fails at its end if its SHA-256 differs from what the client signed, so a
/// tampered upload is never acknowledged.
struct DigestCheckedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: RequestBody
    let expected: String

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        var hasher = SHA256()
        let expected: String
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            if let buffer = try await base.next() {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                return buffer
            }
            finished = true
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard digest == expected.lowercased() else {
                throw CreditHubError(code: RequestSignature.Refusal.bodyDigestMismatch.rawValue, message: RequestSignature.Refusal.bodyDigestMismatch.message)
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator(), expected: expected)
    }
}
