import Crypto
import Foundation

/// How systems sign API requests (docs/api-auth.md).
///
/// The string to sign is, one per line: the method, the path, the query with its parameters sorted,
/// the timestamp (Unix seconds), the nonce, and the hex SHA-256 of the body. The signature is the
/// hex HMAC-SHA256 of that string with the credential's secret.
public enum RequestSignature {
    public static let keyHeader = "X-CreditHub-Key"
    public static let timestampHeader = "X-CreditHub-Timestamp"
    public static let nonceHeader = "X-CreditHub-Nonce"
    public static let contentHeader = "X-CreditHub-Content-SHA256"
    public static let signatureHeader = "X-CreditHub-Signature"
    /// Largest accepted difference between the client's clock and ours.
    public static let allowedSkew: TimeInterval = 300
    /// SHA-256 of an empty body.
    public static let emptyBodyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The query string with parameters sorted by name then value, as signed.
    public static func canonicalQuery(_ query: String) -> String {
        query.split(separator: "&").map(String.init).filter { !$0.isEmpty }.sorted().joined(separator: "&")
    }

    public static func stringToSign(method: String, path: String, query: String, timestamp: String, nonce: String, bodyDigest: String) -> String {
        [method.uppercased(), path, canonicalQuery(query), timestamp, nonce, bodyDigest.lowercased()].joined(separator: "\n")
    }

    public static func sign(_ stringToSign: String, secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    /// Why a signature cannot be accepted; the reason codes appear in 401 answers.
    public enum Refusal: String, Sendable, Error {
        case missingHeaders = "signature_missing_headers"
        case unknownKey = "signature_unknown_key"
        case revokedKey = "signature_revoked_key"
        case badTimestamp = "signature_bad_timestamp"
        case clockSkew = "signature_clock_skew"
        case badSignature = "signature_mismatch"
        case replayedNonce = "signature_replayed_nonce"
        case bodyDigestMismatch = "signature_body_digest_mismatch"
        case disabledSystem = "signature_disabled_system"

        public var message: String {
            switch self {
            case .missingHeaders: "sign the request: \(RequestSignature.keyHeader), \(RequestSignature.timestampHeader), \(RequestSignature.nonceHeader), \(RequestSignature.contentHeader) and \(RequestSignature.signatureHeader) are required"
            case .unknownKey: "the key id is not known"
            case .revokedKey: "the credential was revoked; use the current one"
            case .badTimestamp: "the timestamp must be Unix seconds"
            case .clockSkew: "the timestamp is more than 5 minutes from the server's clock"
            case .badSignature: "the signature does not match the request"
            case .replayedNonce: "the nonce was used before: each request needs a new one"
            case .bodyDigestMismatch: "the body does not match its declared SHA-256"
            case .disabledSystem: "the system is disabled"
            }
        }
    }

    /// Checks the timestamp against `now`.
    public static func checkTimestamp(_ timestamp: String, now: Date) -> Refusal? {
        guard let seconds = Double(timestamp) else { return .badTimestamp }
        return abs(now.timeIntervalSince1970 - seconds) > allowedSkew ? .clockSkew : nil
    }
}
