import CreditKernel
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// The password rules: long enough, and not one of the guesses attackers try first.
public enum PasswordPolicy {
    public static let minimumLength = 12

    /// Why a password is refused, or nil.
    public static func problem(_ password: String, username: String) -> String? {
        if password.count < minimumLength {
            return "密码至少 \(minimumLength) 位 / the password needs at least \(minimumLength) characters"
        }
        let lowered = password.lowercased()
        if !username.isEmpty, lowered.contains(username.lowercased()) {
            return "密码不能包含用户名 / the password must not contain the username"
        }
        if Set(password).count < 5 {
            return "密码字符种类过少 / the password repeats too few characters"
        }
        let common = ["password", "12345678", "qwerty", "admin", "123456", "abcdef", "iloveyou", "welcome", "p@ssw0rd", "passw0rd", "credithub", "111111", "abc123", "88888888", "woaini", "000000"]
        if let pattern = common.first(where: { lowered.contains($0) }) {
            return "密码包含常见弱口令片段「\(pattern)」/ the password contains the common pattern '\(pattern)'"
        }
        if isSequence(lowered) {
            return "密码是连续字符 / the password is a run of consecutive characters"
        }
        return nil
    }

    static func isSequence(_ text: String) -> Bool {
        let scalars = text.unicodeScalars.map(\.value)
        guard scalars.count >= 8 else { return false }
        let ascending = zip(scalars, scalars.dropFirst()).allSatisfy { $1 == $0 + 1 }
        let descending = zip(scalars, scalars.dropFirst()).allSatisfy { $0 == $1 + 1 }
        return ascending || descending
    }
}

/// bcrypt hashing on NIO's blocking thread pool, never on an event loop.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    public init(cost: UInt8 = 12) {
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A one-time password for first start and resets: readable, long, from an unambiguous alphabet.
    public static func oneTimePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let groups = (0..<4).map { _ in String((0..<4).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }) }
        return groups.joined(separator: "-")
    }
}
