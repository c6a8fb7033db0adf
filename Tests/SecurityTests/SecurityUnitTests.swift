import CreditKernel
import Foundation
import Security
import Testing

@Suite("TOTP (RFC 6238)")
struct TOTPTests {
    /// RFC 6238 appendix B, SHA-1 secret "12345678901234567890", 8 digits.
    @Test(
        "The published test vectors",
        arguments: [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"), (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ]
    )
    func vectors(time: Int, code: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8), digits: 8)
        #expect(totp.code(at: Date(timeIntervalSince1970: TimeInterval(time))) == code)
    }

    @Test("A code is accepted for its step and the steps either side, nothing further")
    func window() {
        let totp = TOTP(secret: TOTP.generateSecret())
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let step = totp.step(at: now)
        #expect(totp.matchingStep(totp.code(step: step), at: now) == step)
        #expect(totp.matchingStep(totp.code(step: step - 1), at: now) == step - 1)
        #expect(totp.matchingStep(totp.code(step: step + 1), at: now) == step + 1)
        #expect(totp.matchingStep(totp.code(step: step - 2), at: now) == nil || totp.code(step: step - 2) == totp.code(step: step))
        #expect(totp.matchingStep("12345", at: now) == nil)
    }

    @Test("Base32 round-trips and the provisioning URI names issuer and account")
    func base32() {
        let secret = TOTP.generateSecret()
        #expect(Base32.decode(Base32.encode(secret)) == secret)
        #expect(Base32.encode(Array("12345678901234567890".utf8)) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        let uri = TOTP(secret: secret).provisioningURI(account: "alice")
        #expect(uri.hasPrefix("otpauth://totp/CreditHub:alice?secret=\(Base32.encode(secret))"))
        #expect(uri.contains("issuer=CreditHub"))
    }
}

@Suite("Separation of duties and passwords")
struct PolicyRuleTests {
    @Test("An auditor holds no other role")
    func auditorAlone() {
        #expect(SeparationOfDuties.check([.auditor])?.rule == nil)
        #expect(SeparationOfDuties.check([.auditor, .reviewer])?.rule == "auditor_alone")
        #expect(SeparationOfDuties.check([.auditor, .providerOperator])?.rule == "auditor_alone")
    }

    @Test("Who grants rights does not use data", arguments: [Role.platformAdmin, .securityOfficer, .reviewer])
    func grantOrUse(role: Role) {
        let violation = SeparationOfDuties.check([role, .consumerOperator])
        #expect(violation?.rule == "grant_or_use")
        #expect(violation?.message.contains("用管分离") == true)
    }

    @Test("Allowed combinations, and system roles kept apart")
    func allowed() {
        #expect(SeparationOfDuties.check([.platformAdmin, .securityOfficer, .reviewer]) == nil)
        #expect(SeparationOfDuties.check([.providerOperator, .providerApprover, .consumerOperator]) == nil)
        #expect(SeparationOfDuties.check([.providerSystem])?.rule == "person_roles")
        #expect(SeparationOfDuties.check([.providerSystem, .consumerSystem], forSystem: true) == nil)
        #expect(SeparationOfDuties.check([.reviewer], forSystem: true)?.rule == "system_roles")
    }

    @Test("Weak passwords are refused with a reason", arguments: ["short", "password1234!", "alice-is-great", "abcdefghijklm", "aaaaaaaaaaaaa", "123456789012"])
    func weak(password: String) {
        #expect(PasswordPolicy.problem(password, username: "alice") != nil)
    }

    @Test("A long, varied password passes")
    func strong() {
        #expect(PasswordPolicy.problem("Zhejiang#Credit2026!", username: "alice") == nil)
    }
}

@Suite("Request signatures and keys")
struct SignatureRuleTests {
    @Test("The string to sign: method, path, sorted query, timestamp, nonce, body digest")
    func stringToSign() {
        let text = RequestSignature.stringToSign(method: "post", path: "/api/v1/submissions", query: "wait=30&resource=admin_penalty", timestamp: "1700000000", nonce: "n1", bodyDigest: "ABC")
        #expect(text == "POST\n/api/v1/submissions\nresource=admin_penalty&wait=30\n1700000000\nn1\nabc")
        // HMAC-SHA256 (RFC 4231 test case 2 key and data).
        #expect(RequestSignature.sign("what do ya want for nothing?", secret: "Jefe") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("Timestamps outside five minutes are refused")
    func skew() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RequestSignature.checkTimestamp("1700000299", now: now) == nil)
        #expect(RequestSignature.checkTimestamp("1699999600", now: now) == .clockSkew)
        #expect(RequestSignature.checkTimestamp("soon", now: now) == .badTimestamp)
    }

    @Test("Node keys seal, open, sign and verify; another key cannot")
    func keys() throws {
        var generator = SystemRandomNumberGenerator()
        let keys = try NodeKeys(seed: Data((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        let other = try NodeKeys(seed: Data((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        let sealed = try keys.seal("secret")
        #expect(try keys.open(sealed) == "secret")
        #expect(throws: (any Error).self) { try other.open(sealed) }
        let signature = try keys.sign(Data("message".utf8))
        #expect(NodeKeys.verify(signature: signature, message: Data("message".utf8), publicKey: keys.publicKeyHex))
        #expect(!NodeKeys.verify(signature: signature, message: Data("messagf".utf8), publicKey: keys.publicKeyHex))
        #expect(!NodeKeys.verify(signature: signature, message: Data("message".utf8), publicKey: other.publicKeyHex))
    }
}

@Suite("Audit chain")
struct AuditChainTests {
    @Test("Entries chain by hash; any change to a field changes the hash")
    func chain() {
        let records = (0..<3).map { AuditRecord(actor: AuditActor(kind: .person, id: "alice", unit: "U"), action: "login", target: "t\($0)", details: ["n": "\($0)"]) }
        let entries = AuditChain.chain(records, after: (0, AuditChain.genesis))
        #expect(entries.map(\.sequence) == [1, 2, 3])
        #expect(entries[0].previousHash == AuditChain.genesis)
        #expect(entries[1].previousHash == entries[0].hash)
        #expect(entries.allSatisfy { AuditChain.expectedHash(of: $0) == $0.hash })
        var altered = entries[1]
        altered.details = #"{"n":"9"}"#
        #expect(AuditChain.expectedHash(of: altered) != altered.hash)
        altered = entries[1]
        altered.outcome = .failure
        #expect(AuditChain.expectedHash(of: altered) != altered.hash)
        #expect(AuditChain.canonicalDetails(["b": "2", "a": "\"1\""]) == #"{"a":"\"1\"","b":"2"}"#)
    }
}
