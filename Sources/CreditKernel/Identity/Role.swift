/// Roles people and systems hold. Separation of duties (用管分离) is checked when roles are
/// assigned: see ``SeparationOfDuties``.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Runs the platform: units, people, systems, catalogue.
    case platformAdmin = "platform_admin"
    /// Security settings, credentials and password resets, the kill switch.
    case securityOfficer = "security_officer"
    /// Reviews applications and resolves conflicts.
    case reviewer
    /// Reads the audit log, and nothing else.
    case auditor
    /// Submits a unit's data through the console.
    case providerOperator = "provider_operator"
    /// Approves requests for a unit's data.
    case providerApprover = "provider_approver"
    /// Uses granted data through the console.
    case consumerOperator = "consumer_operator"
    /// A provider's business system submitting by API.
    case providerSystem = "provider_system"
    /// A consumer's business system calling sharing APIs.
    case consumerSystem = "consumer_system"

    /// Roles only systems hold.
    public static let systemRoles: Set<Role> = [.providerSystem, .consumerSystem]
    /// Roles that grant or manage rights.
    public static let rightsGranting: Set<Role> = [.platformAdmin, .securityOfficer, .reviewer]
    /// Roles that use data.
    public static let dataUsing: Set<Role> = [.consumerOperator]

    public var isSystemRole: Bool { Self.systemRoles.contains(self) }

    /// Chinese name, for the console.
    public var chineseName: String {
        switch self {
        case .platformAdmin: "平台管理员"
        case .securityOfficer: "安全管理员"
        case .reviewer: "审核员"
        case .auditor: "审计员"
        case .providerOperator: "数源单位报送员"
        case .providerApprover: "数源单位审批员"
        case .consumerOperator: "数据使用单位操作员"
        case .providerSystem: "数源单位业务系统"
        case .consumerSystem: "数据使用单位业务系统"
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// 用管分离: the rules on which roles one account may hold together.
public enum SeparationOfDuties {
    /// A rule a set of roles breaks.
    public struct Violation: Error, Sendable, Hashable, CustomStringConvertible {
        /// Stable rule id: `auditor_alone`, `grant_or_use`, `system_roles`, `person_roles`.
        public var rule: String
        public var message: String
        public var description: String { message }
    }

    /// Checks a person's (or a system's) complete set of roles.
    public static func check(_ roles: Set<Role>, forSystem: Bool = false) -> Violation? {
        if forSystem {
            if let role = roles.first(where: { !$0.isSystemRole }) {
                return Violation(rule: "system_roles", message: "系统账号只能持有系统角色，不能持有「\(role.chineseName)」/ a system can hold only system roles, not \(role.rawValue)")
            }
            return nil
        }
        if let role = roles.first(where: \.isSystemRole) {
            return Violation(rule: "person_roles", message: "人员账号不能持有系统角色「\(role.chineseName)」/ a person cannot hold the system role \(role.rawValue)")
        }
        if roles.contains(.auditor), roles.count > 1 {
            return Violation(
                rule: "auditor_alone",
                message: "审计员不得兼任其他角色（\(roles.subtracting([.auditor]).sorted().map(\.chineseName).joined(separator: "、"))）/ an auditor may hold no other role"
            )
        }
        let granting = roles.intersection(Role.rightsGranting)
        let using = roles.intersection(Role.dataUsing)
        if !granting.isEmpty, !using.isEmpty {
            return Violation(
                rule: "grant_or_use",
                message: "用管分离：授权角色（\(granting.sorted().map(\.chineseName).joined(separator: "、"))）与用数角色（\(using.sorted().map(\.chineseName).joined(separator: "、"))）不得由同一人持有 / separation of duties: who grants rights (\(granting.sorted().map(\.rawValue).joined(separator: ", "))) may not use data (\(using.sorted().map(\.rawValue).joined(separator: ", ")))"
            )
        }
        return nil
    }
}
