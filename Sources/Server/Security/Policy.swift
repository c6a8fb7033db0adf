import CreditKernel

/// What a route needs.
public enum Permission: String, Sendable, Hashable, CaseIterable {
    /// Anyone, signed in or not.
    case anonymous
    /// A console session at any stage: the steps of signing in (code, new password, enrolment).
    case session
    /// A person signed in with both factors.
    case signedIn
    /// Submit data and see the unit's own submissions and receipts.
    case submitData
    /// See submissions and receipts of every unit.
    case viewAllSubmissions
    /// Open one batch's receipt and rejected rows: providers their own unit's (checked by the
    /// handler), platform staff any.
    case readReceipts
    case manageUnits
    /// Create people and assign roles.
    case managePeople
    /// Reset passwords (forcing TOTP re-enrolment).
    case resetPasswords
    /// Create systems and issue or revoke their credentials.
    case manageSystems
    /// Work the conflict queue.
    case resolveConflicts
    /// Search and read the audit log.
    case readAudit

    /// Roles that hold the permission (anonymous and session are not role-based).
    public var roles: Set<Role> {
        switch self {
        case .anonymous, .session: []
        case .signedIn: Set(Role.allCases).subtracting(Role.systemRoles)
        case .submitData: [.providerOperator, .providerSystem]
        case .viewAllSubmissions: [.platformAdmin, .reviewer]
        case .readReceipts: Permission.submitData.roles.union(Permission.viewAllSubmissions.roles)
        case .manageUnits: [.platformAdmin]
        case .managePeople: [.platformAdmin, .securityOfficer]
        case .resetPasswords: [.platformAdmin, .securityOfficer]
        case .manageSystems: [.platformAdmin, .securityOfficer]
        case .resolveConflicts: [.platformAdmin, .reviewer]
        case .readAudit: [.auditor]
        }
    }
}

/// The one place that says what every route needs. A route missing here is refused (and the
/// authorization test fails), so adding a route means deciding its permission.
public enum Policy {
    public static let table: [String: Permission] = [
        "GET /health/live": .anonymous,
        "GET /health/ready": .anonymous,
        "GET /metrics": .anonymous,
        "GET /static/console.css": .anonymous,

        "GET /login": .anonymous,
        "POST /login": .anonymous,
        "GET /login/code": .session,
        "POST /login/code": .session,
        "GET /account/password": .session,
        "POST /account/password": .session,
        "GET /account/totp": .session,
        "POST /account/totp": .session,
        "POST /logout": .session,
        "POST /logout/everywhere": .signedIn,
        "GET /": .signedIn,

        "GET /admin/units": .manageUnits,
        "POST /admin/units": .manageUnits,
        "GET /admin/people": .managePeople,
        "POST /admin/people": .managePeople,
        "POST /admin/people/{person}/roles": .managePeople,
        "POST /admin/people/{person}/reset": .resetPasswords,
        "GET /admin/systems": .manageSystems,
        "POST /admin/systems": .manageSystems,
        "POST /admin/systems/{system}/credentials": .manageSystems,
        "POST /admin/credentials/{key}/revoke": .manageSystems,

        "GET /submissions": .submitData,
        "POST /submissions": .submitData,
        "GET /submissions/all": .viewAllSubmissions,
        "GET /submissions/{batch}": .readReceipts,
        "GET /submissions/{batch}/rejected.csv": .readReceipts,
        "GET /submissions/{batch}/receipt.json": .readReceipts,
        "GET /conflicts": .resolveConflicts,
        "POST /conflicts/{conflict}/resolve": .resolveConflicts,
        "GET /audit": .readAudit,

        "POST /api/v1/submissions": .submitData,
        "GET /api/v1/submissions": .submitData,
        "GET /api/v1/submissions/{batch}": .submitData,
        "GET /api/v1/submissions/{batch}/receipt": .submitData,
        "GET /api/v1/submissions/{batch}/rejected.csv": .submitData,
    ]

    /// The permission for a matched route, `METHOD /path/{parameter}`.
    public static func permission(method: String, endpoint: String) -> Permission? {
        table["\(method) \(endpoint)"]
    }

    /// Whether a principal's roles grant the permission.
    public static func allows(_ permission: Permission, roles: Set<Role>) -> Bool {
        switch permission {
        case .anonymous: true
        case .session: false
        default: !permission.roles.isDisjoint(with: roles)
        }
    }
}
