import CreditKernel
import Foundation
import Logging
import Storage

/// People, systems and their authentication: two-factor sign-in, sessions, roles under separation
/// of duties, client credentials and request signatures. Everything it does is audited.
public struct IdentityService: Sendable {
    public let store: any CreditStore
    public let keys: NodeKeys
    public let audit: AuditLog
    public let configuration: SecurityConfiguration
    let hasher: PasswordHasher
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        store: any CreditStore, keys: NodeKeys, audit: AuditLog, configuration: SecurityConfiguration, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.keys = keys
        self.audit = audit
        self.configuration = configuration
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.now = now
        self.logger = logger
    }

    var identity: any IdentityRepository { store.identity }

    // MARK: - First start

    /// On an empty store, creates the platform unit and one `platform_admin` with a one-time
    /// password; returns the credentials so the caller can print them once.
    public func bootstrap() async throws -> (username: String, password: String)? {
        guard try await identity.countPeople() == 0 else { return nil }
        let code = configuration.platformUnitCode
        guard UnifiedSocialCreditCode.isValid(code) else {
            throw CreditHubError(code: "invalid_unit_code", message: "security.platform-unit-code 「\(code)」不是有效的统一社会信用代码 / is not a valid unified social credit code")
        }
        let unit: OrganisationUnit
        if let existing = try await identity.unit(code: code) {
            unit = existing
        } else {
            unit = OrganisationUnit(id: UUID().uuidString.lowercased(), code: code, name: configuration.platformUnitName, createdAt: now())
            try await identity.createUnit(unit)
        }
        let password = PasswordHasher.oneTimePassword()
        let person = PersonAccount(
            id: UUID().uuidString.lowercased(), username: "admin", displayName: "平台管理员", unitID: unit.id, roles: [.platformAdmin],
            passwordHash: try await hasher.hash(password), mustChangePassword: true, sealedTOTPSecret: nil, totpEnrolled: false, lastTOTPStep: 0,
            failedAttempts: 0, lockedUntil: nil, disabled: false, createdAt: now()
        )
        try await identity.createPerson(person)
        try await audit.record(AuditRecord(actor: .platform, action: "person.create", target: "admin", details: ["roles": "platform_admin", "reason": "first start"]))
        return ("admin", password)
    }

    // MARK: - Sign-in

    public enum LoginFailure: String, Sendable, Error {
        case invalidCredentials = "invalid_credentials"
        case locked
        case disabled
        case invalidCode = "invalid_code"
        case expired
    }

    /// Checks username and password; on success opens a session at the stage the account needs
    /// next. The token goes in the cookie; the store keeps only its digest.
    public func login(username: String, password: String, sourceIP: String) async throws -> Result<(token: String, session: ConsoleSession), LoginFailure> {
        let time = now()
        guard var person = try await identity.person(username: username) else {
            // Hash anyway, so an unknown name takes as long as a wrong password.
            _ = try await hasher.verify(password, hash: "$2b$12$C6UzMDM.H6dfI/f/IKxGhuQkBrnoP1eXOThMrg/6xdK0hKLTMlSu6")
            try await record(.anonymous, sourceIP, "login", username, .failure, ["reason": "unknown_user"])
            return .failure(.invalidCredentials)
        }
        let actor = AuditActor(kind: .person, id: person.username, unit: try await unitCode(person.unitID))
        if person.disabled {
            try await record(actor, sourceIP, "login", username, .denied, ["reason": "disabled"])
            return .failure(.disabled)
        }
        if let until = person.lockedUntil, until > time {
            try await record(actor, sourceIP, "login", username, .denied, ["reason": "locked"])
            return .failure(.locked)
        }
        guard try await hasher.verify(password, hash: person.passwordHash) else {
            person.failedAttempts += 1
            var details = ["reason": "wrong_password", "failed_attempts": String(person.failedAttempts)]
            if person.failedAttempts >= configuration.lockoutAttempts {
                person.lockedUntil = time.addingTimeInterval(configuration.lockoutDuration)
                person.failedAttempts = 0
                details["locked_until"] = ISO8601DateFormatter().string(from: person.lockedUntil!)
            }
            try await identity.updatePerson(person)
            try await record(actor, sourceIP, "login", username, .failure, details)
            return .failure(person.lockedUntil.map { $0 > time } ?? false ? .locked : .invalidCredentials)
        }
        person.failedAttempts = 0
        person.lockedUntil = nil
        try await identity.updatePerson(person)
        let stage: ConsoleSession.Stage = person.mustChangePassword ? .mustChangePassword : (person.totpEnrolled ? .awaitingCode : .mustEnrol)
        let token = RandomToken.make()
        let session = ConsoleSession(
            idHash: RandomToken.digest(token), personID: person.id, stage: stage, csrfToken: RandomToken.make(bytes: 24), createdAt: time, lastSeenAt: time,
            sourceIP: sourceIP
        )
        try await identity.createSession(session)
        try await record(actor, sourceIP, "login.password", username, .success, ["next": stage.rawValue])
        return .success((token, session))
    }

    /// The session for a cookie token, if it is valid and not idle or too old; touches it.
    public func session(token: String) async throws -> (session: ConsoleSession, person: PersonAccount, unit: OrganisationUnit)? {
        let idHash = RandomToken.digest(token)
        guard var session = try await identity.session(idHash: idHash) else { return nil }
        let time = now()
        if time.timeIntervalSince(session.lastSeenAt) > configuration.sessionIdle || time.timeIntervalSince(session.createdAt) > configuration.sessionAbsolute {
            try await identity.deleteSession(idHash: idHash)
            return nil
        }
        guard let person = try await identity.person(id: session.personID), !person.disabled, let unit = try await identity.unit(id: person.unitID) else {
            try await identity.deleteSession(idHash: idHash)
            return nil
        }
        // Touch at most once a minute: no write on every request.
        if time.timeIntervalSince(session.lastSeenAt) > 60 {
            session.lastSeenAt = time
            try await identity.updateSession(session)
        }
        return (session, person, unit)
    }

    /// The second factor: a TOTP code for a session awaiting it.
    public func verifyCode(session: ConsoleSession, person: PersonAccount, code: String, sourceIP: String) async throws -> Result<ConsoleSession, LoginFailure> {
        let actor = AuditActor(kind: .person, id: person.username, unit: try await unitCode(person.unitID))
        guard session.stage == .awaitingCode, let sealed = person.sealedTOTPSecret else { return .failure(.expired) }
        let totp = TOTP(secret: Base32.decode(try keys.open(sealed)) ?? [])
        guard let step = totp.matchingStep(code, at: now()), try await identity.acceptTOTPStep(personID: person.id, step: step) else {
            var updated = try await identity.person(id: person.id) ?? person
            updated.failedAttempts += 1
            if updated.failedAttempts >= configuration.lockoutAttempts {
                updated.lockedUntil = now().addingTimeInterval(configuration.lockoutDuration)
                updated.failedAttempts = 0
                try await identity.deleteSessions(personID: person.id)
            }
            try await identity.updatePerson(updated)
            try await record(actor, sourceIP, "login.code", person.username, .failure, ["reason": "wrong_or_reused_code"])
            return .failure(updated.lockedUntil.map { $0 > now() } ?? false ? .locked : .invalidCode)
        }
        var next = session
        next.stage = .complete
        // A new CSRF token at privilege change.
        next.csrfToken = RandomToken.make(bytes: 24)
        next.lastSeenAt = now()
        try await identity.updateSession(next)
        try await record(actor, sourceIP, "login", person.username, .success, ["factors": "password+totp"])
        return .success(next)
    }

    /// Starts (or repeats) TOTP enrolment: the secret to show, and the provisioning URI.
    public func enrolment(person: PersonAccount) async throws -> (secret: String, uri: String) {
        var person = person
        let secret: [UInt8]
        if let sealed = person.sealedTOTPSecret, !person.totpEnrolled, let existing = Base32.decode(try keys.open(sealed)) {
            secret = existing
        } else {
            secret = TOTP.generateSecret()
            person.sealedTOTPSecret = try keys.seal(Base32.encode(secret))
            person.totpEnrolled = false
            try await identity.updatePerson(person)
        }
        return (Base32.encode(secret), TOTP(secret: secret).provisioningURI(account: person.username))
    }

    /// Completes enrolment with a code from the new authenticator.
    public func completeEnrolment(session: ConsoleSession, person: PersonAccount, code: String, sourceIP: String) async throws -> Result<ConsoleSession, LoginFailure> {
        let actor = AuditActor(kind: .person, id: person.username, unit: try await unitCode(person.unitID))
        guard session.stage == .mustEnrol, let sealed = person.sealedTOTPSecret, let secret = Base32.decode(try keys.open(sealed)) else {
            return .failure(.expired)
        }
        guard let step = TOTP(secret: secret).matchingStep(code, at: now()), try await identity.acceptTOTPStep(personID: person.id, step: step) else {
            try await record(actor, sourceIP, "totp.enrol", person.username, .failure, ["reason": "wrong_code"])
            return .failure(.invalidCode)
        }
        var updated = try await identity.person(id: person.id) ?? person
        updated.totpEnrolled = true
        try await identity.updatePerson(updated)
        var next = session
        next.stage = .complete
        next.csrfToken = RandomToken.make(bytes: 24)
        try await identity.updateSession(next)
        try await record(actor, sourceIP, "totp.enrol", person.username, .success, [:])
        return .success(next)
    }

    /// Changes the signed-in person's own password.
    public func changePassword(session: ConsoleSession, person: PersonAccount, current: String, new: String, sourceIP: String) async throws -> Result<ConsoleSession, CreditHubError> {
        let actor = AuditActor(kind: .person, id: person.username, unit: try await unitCode(person.unitID))
        guard try await hasher.verify(current, hash: person.passwordHash) else {
            try await record(actor, sourceIP, "password.change", person.username, .failure, ["reason": "wrong_current_password"])
            return .failure(CreditHubError(code: "wrong_password", message: "当前密码不正确 / the current password is wrong"))
        }
        if let problem = PasswordPolicy.problem(new, username: person.username) {
            return .failure(CreditHubError(code: "weak_password", message: problem))
        }
        if try await hasher.verify(new, hash: person.passwordHash) {
            return .failure(CreditHubError(code: "weak_password", message: "新密码不能与原密码相同 / choose a password different from the current one"))
        }
        var updated = person
        updated.passwordHash = try await hasher.hash(new)
        updated.mustChangePassword = false
        try await identity.updatePerson(updated)
        var next = session
        if session.stage == .mustChangePassword { next.stage = person.totpEnrolled ? .awaitingCode : .mustEnrol }
        next.csrfToken = RandomToken.make(bytes: 24)
        try await identity.updateSession(next)
        try await record(actor, sourceIP, "password.change", person.username, .success, [:])
        return .success(next)
    }

    public func logout(token: String, person: PersonAccount?, sourceIP: String) async throws {
        try await identity.deleteSession(idHash: RandomToken.digest(token))
        if let person {
            try await record(AuditActor(kind: .person, id: person.username, unit: try await unitCode(person.unitID)), sourceIP, "logout", person.username, .success, [:])
        }
    }

    /// Ends every session of the person (on all devices).
    public func logoutEverywhere(person: PersonAccount, sourceIP: String) async throws {
        try await identity.deleteSessions(personID: person.id)
        try await record(AuditActor(kind: .person, id: person.username, unit: try await unitCode(person.unitID)), sourceIP, "logout.everywhere", person.username, .success, [:])
    }

    // MARK: - Administration

    public func createUnit(code: String, name: String, by principal: Principal, sourceIP: String) async throws -> OrganisationUnit {
        guard UnifiedSocialCreditCode.isValid(code) else {
            throw CreditHubError(code: "invalid_unit_code", message: "「\(code)」不是有效的统一社会信用代码 / not a valid unified social credit code")
        }
        guard try await identity.unit(code: code) == nil else {
            throw CreditHubError(code: "already_exists", message: "unit \(code) already exists")
        }
        let unit = OrganisationUnit(id: UUID().uuidString.lowercased(), code: code, name: name, createdAt: now())
        try await identity.createUnit(unit)
        try await record(principal.auditActor, sourceIP, "unit.create", code, .success, ["name": name])
        return unit
    }

    /// Creates a person with a one-time password (returned, shown once) and the given roles,
    /// refused if the roles break separation of duties.
    public func createPerson(username: String, displayName: String, unitID: String, roles: Set<Role>, by principal: Principal, sourceIP: String) async throws -> (PersonAccount, String) {
        guard username.range(of: "^[a-z][a-z0-9._-]{2,31}$", options: .regularExpression) != nil else {
            throw CreditHubError(code: "invalid_username", message: "用户名为 3–32 位小写字母、数字、点、下划线或连字符，字母开头 / usernames are 3–32 lower-case letters, digits, . _ -, starting with a letter")
        }
        guard try await identity.person(username: username) == nil else {
            throw CreditHubError(code: "already_exists", message: "username \(username) is taken")
        }
        guard try await identity.unit(id: unitID) != nil else { throw CreditHubError(code: "not_found", message: "no unit \(unitID)") }
        if let violation = SeparationOfDuties.check(roles) {
            try await record(principal.auditActor, sourceIP, "person.create", username, .denied, ["rule": violation.rule, "roles": roles.sorted().map(\.rawValue).joined(separator: ",")])
            throw CreditHubError(code: "separation_of_duties", message: violation.message)
        }
        let password = PasswordHasher.oneTimePassword()
        let person = PersonAccount(
            id: UUID().uuidString.lowercased(), username: username, displayName: displayName, unitID: unitID, roles: roles,
            passwordHash: try await hasher.hash(password), mustChangePassword: true, sealedTOTPSecret: nil, totpEnrolled: false, lastTOTPStep: 0,
            failedAttempts: 0, lockedUntil: nil, disabled: false, createdAt: now()
        )
        try await identity.createPerson(person)
        try await record(principal.auditActor, sourceIP, "person.create", username, .success, ["roles": roles.sorted().map(\.rawValue).joined(separator: ","), "unit": unitID])
        return (person, password)
    }

    /// Replaces a person's roles, refusing combinations that break separation of duties.
    public func setRoles(personID: String, roles: Set<Role>, by principal: Principal, sourceIP: String) async throws -> PersonAccount {
        guard var person = try await identity.person(id: personID) else { throw CreditHubError(code: "not_found", message: "no person \(personID)") }
        let before = person.roles
        if let violation = SeparationOfDuties.check(roles) {
            try await record(principal.auditActor, sourceIP, "role.assign", person.username, .denied, ["rule": violation.rule, "roles": roles.sorted().map(\.rawValue).joined(separator: ",")])
            throw CreditHubError(code: "separation_of_duties", message: violation.message)
        }
        person.roles = roles
        try await identity.updatePerson(person)
        try await record(
            principal.auditActor, sourceIP, "role.assign", person.username, .success,
            ["before": before.sorted().map(\.rawValue).joined(separator: ","), "after": roles.sorted().map(\.rawValue).joined(separator: ",")]
        )
        return person
    }

    /// Resets a password to a one-time one and forces TOTP re-enrolment; ends the person's sessions.
    public func resetPassword(personID: String, by principal: Principal, sourceIP: String) async throws -> String {
        guard !principal.roles.isDisjoint(with: [.platformAdmin, .securityOfficer]) else {
            throw CreditHubError(code: "forbidden", message: "only a platform administrator or security officer resets passwords")
        }
        guard var person = try await identity.person(id: personID) else { throw CreditHubError(code: "not_found", message: "no person \(personID)") }
        let password = PasswordHasher.oneTimePassword()
        person.passwordHash = try await hasher.hash(password)
        person.mustChangePassword = true
        person.totpEnrolled = false
        person.sealedTOTPSecret = nil
        person.failedAttempts = 0
        person.lockedUntil = nil
        try await identity.updatePerson(person)
        try await identity.deleteSessions(personID: person.id)
        try await record(principal.auditActor, sourceIP, "password.reset", person.username, .success, ["totp": "re-enrolment required"])
        return password
    }

    public func createSystem(name: String, unitID: String, roles: Set<Role>, by principal: Principal, sourceIP: String) async throws -> SystemAccount {
        guard try await identity.unit(id: unitID) != nil else { throw CreditHubError(code: "not_found", message: "no unit \(unitID)") }
        if let violation = SeparationOfDuties.check(roles, forSystem: true) {
            throw CreditHubError(code: "separation_of_duties", message: violation.message)
        }
        let system = SystemAccount(id: "sys-" + RandomToken.make(bytes: 6).lowercased(), name: name, unitID: unitID, roles: roles, disabled: false, createdAt: now())
        try await identity.createSystem(system)
        try await record(principal.auditActor, sourceIP, "system.create", system.id, .success, ["name": name, "roles": roles.sorted().map(\.rawValue).joined(separator: ",")])
        return system
    }

    /// Issues a new credential for a system; the secret is returned once and stored sealed.
    public func issueCredential(systemID: String, by principal: Principal, sourceIP: String) async throws -> (keyID: String, secret: String) {
        guard try await identity.system(id: systemID) != nil else { throw CreditHubError(code: "not_found", message: "no system \(systemID)") }
        let keyID = "ck_" + RandomToken.make(bytes: 9)
        let secret = RandomToken.make(bytes: 32)
        try await identity.addCredential(SystemCredential(keyID: keyID, systemID: systemID, sealedSecret: try keys.seal(secret), createdAt: now(), revokedAt: nil))
        try await record(principal.auditActor, sourceIP, "credential.issue", keyID, .success, ["system": systemID])
        return (keyID, secret)
    }

    public func revokeCredential(keyID: String, by principal: Principal, sourceIP: String) async throws {
        try await identity.revokeCredential(keyID: keyID, at: now())
        try await record(principal.auditActor, sourceIP, "credential.revoke", keyID, .success, [:])
    }

    // MARK: - Signed requests

    /// The parts of a request a signature covers.
    public struct SignedRequest: Sendable {
        public var method: String
        public var path: String
        public var query: String
        public var keyID: String?
        public var timestamp: String?
        public var nonce: String?
        public var bodyDigest: String?
        public var signature: String?

        public init(method: String, path: String, query: String, keyID: String?, timestamp: String?, nonce: String?, bodyDigest: String?, signature: String?) {
            self.method = method
            self.path = path
            self.query = query
            self.keyID = keyID
            self.timestamp = timestamp
            self.nonce = nonce
            self.bodyDigest = bodyDigest
            self.signature = signature
        }
    }

    /// Verifies a signed request: known, unrevoked key; timestamp within 5 minutes; signature;
    /// a nonce never seen before. The body digest is checked by the caller as the body streams.
    public func authenticate(_ request: SignedRequest, sourceIP: String) async throws -> Result<Principal, RequestSignature.Refusal> {
        guard let keyID = request.keyID, let timestamp = request.timestamp, let nonce = request.nonce, let digest = request.bodyDigest,
            let signature = request.signature, !nonce.isEmpty
        else {
            let missing = RequestSignature.Refusal.missingHeaders
            try await record(AuditActor(kind: .system, id: request.keyID ?? "", unit: ""), sourceIP, "api.authenticate", request.path, .denied, ["reason": missing.rawValue])
            return .failure(missing)
        }
        let refusal: RequestSignature.Refusal?
        var principal: Principal?
        if let problem = RequestSignature.checkTimestamp(timestamp, now: now()) {
            refusal = problem
        } else if let credential = try await identity.credential(keyID: keyID) {
            if credential.revokedAt != nil {
                refusal = .revokedKey
            } else {
                let expected = RequestSignature.sign(
                    RequestSignature.stringToSign(method: request.method, path: request.path, query: request.query, timestamp: timestamp, nonce: nonce, bodyDigest: digest),
                    secret: try keys.open(credential.sealedSecret)
                )
                if !RandomToken.constantTimeEqual(expected, signature.lowercased()) {
                    refusal = .badSignature
                } else if let system = try await identity.system(id: credential.systemID), let unit = try await identity.unit(id: system.unitID) {
                    if system.disabled {
                        refusal = .disabledSystem
                    } else if try await !identity.useNonce(keyID: keyID, nonce: nonce, at: now()) {
                        refusal = .replayedNonce
                    } else {
                        refusal = nil
                        principal = .system(system, unit: unit, keyID: keyID)
                    }
                } else {
                    refusal = .unknownKey
                }
            }
        } else {
            refusal = .unknownKey
        }
        if let refusal {
            try await record(AuditActor(kind: .system, id: keyID, unit: ""), sourceIP, "api.authenticate", request.path, .denied, ["reason": refusal.rawValue])
            return .failure(refusal)
        }
        return .success(principal!)
    }

    // MARK: - Helpers

    func unitCode(_ unitID: String) async throws -> String {
        try await identity.unit(id: unitID)?.code ?? ""
    }

    func record(_ actor: AuditActor, _ sourceIP: String, _ action: String, _ target: String, _ outcome: AuditOutcome, _ details: [String: String]) async throws {
        try await audit.record(AuditRecord(at: now(), actor: actor, sourceIP: sourceIP, action: action, target: target, outcome: outcome, details: details))
    }
}
