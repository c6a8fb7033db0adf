import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238): HMAC-SHA1, 30-second steps, 6 digits.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public let digits: Int
    public let period: Int

    public init(secret: [UInt8], digits: Int = 6, period: Int = 30) {
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// A new random 160-bit secret.
    public static func generateSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    public func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    /// The code for a time step (RFC 4226 dynamic truncation).
    public func code(step: Int64) -> String {
        var counter = UInt64(step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    public func code(at date: Date) -> String {
        code(step: step(at: date))
    }

    /// The step a code belongs to, within ±`window` steps of `date`, compared in constant time;
    /// nil when it matches none. The caller accepts each step once.
    public func matchingStep(_ code: String, at date: Date, window: Int64 = 1) -> Int64? {
        let candidate = code.filter { !$0.isWhitespace }
        guard candidate.count == digits else { return nil }
        let now = step(at: date)
        var matched: Int64?
        for step in (now - window)...(now + window) where RandomToken.constantTimeEqual(self.code(step: step), candidate) {
            matched = matched ?? step
        }
        return matched
    }

    /// `otpauth://totp/CreditHub:alice?secret=…&issuer=CreditHub…` for authenticator apps.
    public func provisioningURI(account: String, issuer: String = "CreditHub") -> String {
        // Issuer and account are escaped separately: authenticator apps split the label on a literal colon.
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":/?&=")
        let escapedIssuer = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        let escapedAccount = account.addingPercentEncoding(withAllowedCharacters: allowed) ?? account
        return "otpauth://totp/\(escapedIssuer):\(escapedAccount)?secret=\(Base32.encode(secret))&issuer=\(escapedIssuer)&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }
}

/// RFC 4648 base32 without padding, as authenticator apps expect secrets.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.uppercased().utf8 where byte != UInt8(ascii: "=") && byte != UInt8(ascii: " ") {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> UInt32(bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return output
    }
}
