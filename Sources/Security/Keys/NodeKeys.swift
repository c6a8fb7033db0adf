import Crypto
import CreditKernel
import Foundation

/// This node's keys: an Ed25519 key that signs audit checkpoints and purge markers, and an AES-GCM
/// key that seals secrets at rest (TOTP secrets, system credentials).
///
/// Replicas sharing a database must share the keys: give every replica the same
/// `security.node-key` (base64 of 64 random bytes; a secret), or the same key file.
public struct NodeKeys: Sendable {
    public let signing: Curve25519.Signing.PrivateKey
    let sealing: SymmetricKey

    public init(seed: Data) throws {
        guard seed.count == 64 else {
            throw CreditHubError(code: "invalid_node_key", message: "a node key is 64 bytes (base64-encoded); this one has \(seed.count)")
        }
        signing = try Curve25519.Signing.PrivateKey(rawRepresentation: seed.prefix(32))
        sealing = SymmetricKey(data: seed.suffix(32))
    }

    /// Reads the key file, or creates it (readable by its owner only) on first start.
    public static func loadOrCreate(path: String) throws -> NodeKeys {
        if let data = FileManager.default.contents(atPath: path) {
            guard let text = String(data: data, encoding: .utf8), let seed = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw CreditHubError(code: "invalid_node_key", message: "the key file \(path) is not base64")
            }
            return try NodeKeys(seed: seed)
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let seed = Data((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) })
        guard FileManager.default.createFile(atPath: path, contents: Data(seed.base64EncodedString().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CreditHubError(code: "invalid_node_key", message: "cannot write the key file \(path)")
        }
        return try NodeKeys(seed: seed)
    }

    /// Hex of the public signing key, as checkpoints record it.
    public var publicKeyHex: String {
        signing.publicKey.rawRepresentation.map { String(format: "%02x", $0) }.joined()
    }

    public func sign(_ message: Data) throws -> String {
        try signing.signature(for: message).map { String(format: "%02x", $0) }.joined()
    }

    public static func verify(signature: String, message: Data, publicKey: String) -> Bool {
        guard let keyBytes = Data(hex: publicKey), let signatureBytes = Data(hex: signature),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
        else { return false }
        return key.isValidSignature(signatureBytes, for: message)
    }

    /// Seals a secret for storage: base64 of nonce, ciphertext and tag.
    public func seal(_ secret: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: sealing).combined else {
            throw CreditHubError(code: "seal_failed", message: "cannot seal a secret")
        }
        return combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw CreditHubError(code: "unseal_failed", message: "a sealed secret is damaged") }
        let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: sealing)
        return String(decoding: plain, as: UTF8.self)
    }
}

extension Data {
    init?(hex: String) {
        guard hex.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = Self.nibble(high), let l = Self.nibble(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        self.init(bytes)
    }

    static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}

/// Random tokens for sessions, CSRF, nonces and credentials.
public enum RandomToken {
    /// `count` random bytes, base64url without padding.
    public static func make(bytes count: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// SHA-256 hex: what the store keeps of a session id.
    public static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Constant-time comparison of two strings' UTF-8.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<min(x.count, y.count) { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
