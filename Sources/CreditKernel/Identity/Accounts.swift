import Foundation

/// A unit: a department, a firm, or the platform operator itself.
public struct OrganisationUnit: Sendable, Hashable, Codable {
    public var id: String
    /// Unified social credit code.
    public var code: String
    public var name: String
    public var createdAt: Date

    public init(id: String, code: String, name: String, createdAt: Date) {
        self.id = id
        self.code = code
        self.name = name
        self.createdAt = createdAt
    }
}

/// A person who signs in to the console.
public struct PersonAccount: Sendable, Hashable {
    public var id: String
    public var username: String
    public var displayName: String
    public var unitID: String
    public var roles: Set<Role>
    /// bcrypt hash.
    public var passwordHash: String
    /// The next sign-in must set a new password (first login, after a reset).
    public var mustChangePassword: Bool
    /// The TOTP secret, sealed with the node key; nil until enrolment starts.
    public var sealedTOTPSecret: String?
    public var totpEnrolled: Bool
    /// The last TOTP time step accepted: a code is accepted once.
    public var lastTOTPStep: Int64
    public var failedAttempts: Int
    public var lockedUntil: Date?
    public var disabled: Bool
    public var createdAt: Date

    public init(
        id: String, username: String, displayName: String, unitID: String, roles: Set<Role>, passwordHash: String, mustChangePassword: Bool,
        sealedTOTPSecret: String?, totpEnrolled: Bool, lastTOTPStep: Int64, failedAttempts: Int, lockedUntil: Date?, disabled: Bool, createdAt: Date
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.unitID = unitID
        self.roles = roles
        self.passwordHash = passwordHash
        self.mustChangePassword = mustChangePassword
        self.sealedTOTPSecret = sealedTOTPSecret
        self.totpEnrolled = totpEnrolled
        self.lastTOTPStep = lastTOTPStep
        self.failedAttempts = failedAttempts
        self.lockedUntil = lockedUntil
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// A business system that calls the API with signed requests.
public struct SystemAccount: Sendable, Hashable {
    public var id: String
    public var name: String
    public var unitID: String
    public var roles: Set<Role>
    public var disabled: Bool
    public var createdAt: Date

    public init(id: String, name: String, unitID: String, roles: Set<Role>, disabled: Bool, createdAt: Date) {
        self.id = id
        self.name = name
        self.unitID = unitID
        self.roles = roles
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// A system's client credential: a key id and a secret (sealed with the node key at rest).
public struct SystemCredential: Sendable, Hashable {
    public var keyID: String
    public var systemID: String
    public var sealedSecret: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(keyID: String, systemID: String, sealedSecret: String, createdAt: Date, revokedAt: Date?) {
        self.keyID = keyID
        self.systemID = systemID
        self.sealedSecret = sealedSecret
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A console session, stored so any replica can serve it. The cookie carries the id; the store
/// keeps only its SHA-256.
public struct ConsoleSession: Sendable, Hashable {
    public enum Stage: String, Sendable, Hashable, Codable {
        /// Password accepted; a TOTP code is still needed.
        case awaitingCode = "awaiting_code"
        /// Signed in, but a new password must be set first.
        case mustChangePassword = "must_change_password"
        /// Signed in, but TOTP must be enrolled first.
        case mustEnrol = "must_enrol"
        /// Fully signed in with two factors.
        case complete
    }

    public var idHash: String
    public var personID: String
    public var stage: Stage
    public var csrfToken: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var sourceIP: String

    public init(idHash: String, personID: String, stage: Stage, csrfToken: String, createdAt: Date, lastSeenAt: Date, sourceIP: String) {
        self.idHash = idHash
        self.personID = personID
        self.stage = stage
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.sourceIP = sourceIP
    }
}
