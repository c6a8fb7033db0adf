import CreditKernel

/// Who a request acts for: a signed-in person or a signing system, with their unit.
public enum Principal: Sendable, Hashable {
    case person(PersonAccount, unit: OrganisationUnit)
    case system(SystemAccount, unit: OrganisationUnit, keyID: String)

    public var roles: Set<Role> {
        switch self {
        case .person(let person, _): person.roles
        case .system(let system, _, _): system.roles
        }
    }

    public var unit: OrganisationUnit {
        switch self {
        case .person(_, let unit), .system(_, let unit, _): unit
        }
    }

    /// Username or system id.
    public var name: String {
        switch self {
        case .person(let person, _): person.username
        case .system(let system, _, _): system.id
        }
    }

    public var auditActor: AuditActor {
        switch self {
        case .person(let person, let unit): AuditActor(kind: .person, id: person.username, unit: unit.code)
        case .system(let system, let unit, let keyID): AuditActor(kind: .system, id: "\(system.id)/\(keyID)", unit: unit.code)
        }
    }
}
