import Configuration
import CreditKernel
import Foundation

/// Security settings.
///
/// Keys (environment variables take the `CREDITHUB_` prefix):
/// - `security.node-key` (`CREDITHUB_SECURITY_NODE_KEY`, secret): base64 of 64 random bytes; the
///   node's signing and sealing keys. Replicas sharing a database must share it. Unset: the key
///   file `<data.directory>/keys/node.key` is used, created on first start.
/// - `security.lockout-attempts` (default `5`) failed sign-ins lock an account for
///   `security.lockout-minutes` (default `15`).
/// - `security.session-idle-minutes` (default `30`) and `security.session-absolute-hours` (default `8`).
/// - `security.secure-cookies` (default `false`): mark cookies `Secure`; set it when clients reach
///   CreditHub over TLS (directly or through a proxy).
/// - `security.bcrypt-cost` (default `12`).
/// - `security.platform-unit-code` (default `12330100MB0000000K`, a sample) and
///   `security.platform-unit-name` (default `社会信用信息中心`): the centre's own unit, created with the
///   first administrator on first start.
/// - `security.audit-trusted-keys`: comma-separated hex public keys of earlier node keys, whose
///   audit checkpoints and retention markers `credithub audit verify` still accepts after the node
///   key is replaced (the current key is always trusted).
/// - `security.audit-checkpoint-entries` (default `1000`) and `security.audit-checkpoint-seconds`
///   (default `60`): how often the audit chain's head is signed.
public struct SecurityConfiguration: Sendable {
    public var nodeKey: String?
    public var lockoutAttempts: Int
    public var lockoutDuration: TimeInterval
    public var sessionIdle: TimeInterval
    public var sessionAbsolute: TimeInterval
    public var secureCookies: Bool
    public var bcryptCost: UInt8
    public var checkpointEntries: Int
    public var checkpointInterval: Duration
    /// Public keys (hex) of earlier node keys whose audit signatures still count.
    public var trustedAuditKeys: [String]
    /// The credit centre's own unit, which the first administrator belongs to.
    public var platformUnitCode: String
    public var platformUnitName: String

    public init(
        nodeKey: String? = nil, lockoutAttempts: Int = 5, lockoutDuration: TimeInterval = 15 * 60, sessionIdle: TimeInterval = 30 * 60,
        sessionAbsolute: TimeInterval = 8 * 3600, secureCookies: Bool = false, bcryptCost: UInt8 = 12, checkpointEntries: Int = 1000,
        checkpointInterval: Duration = .seconds(60), trustedAuditKeys: [String] = [], platformUnitCode: String = "12330100MB0000000K",
        platformUnitName: String = "社会信用信息中心"
    ) {
        self.nodeKey = nodeKey
        self.lockoutAttempts = lockoutAttempts
        self.lockoutDuration = lockoutDuration
        self.sessionIdle = sessionIdle
        self.sessionAbsolute = sessionAbsolute
        self.secureCookies = secureCookies
        self.bcryptCost = bcryptCost
        self.checkpointEntries = checkpointEntries
        self.checkpointInterval = checkpointInterval
        self.trustedAuditKeys = trustedAuditKeys
        self.platformUnitCode = platformUnitCode
        self.platformUnitName = platformUnitName
    }

    public init(reader: ConfigReader) {
        self.init(
            nodeKey: reader.string(forKey: "security.node-key", isSecret: true),
            lockoutAttempts: reader.int(forKey: "security.lockout-attempts", default: 5),
            lockoutDuration: TimeInterval(reader.int(forKey: "security.lockout-minutes", default: 15) * 60),
            sessionIdle: TimeInterval(reader.int(forKey: "security.session-idle-minutes", default: 30) * 60),
            sessionAbsolute: TimeInterval(reader.int(forKey: "security.session-absolute-hours", default: 8) * 3600),
            secureCookies: reader.bool(forKey: "security.secure-cookies", default: false),
            bcryptCost: UInt8(clamping: reader.int(forKey: "security.bcrypt-cost", default: 12)),
            checkpointEntries: reader.int(forKey: "security.audit-checkpoint-entries", default: 1000),
            checkpointInterval: .seconds(reader.int(forKey: "security.audit-checkpoint-seconds", default: 60)),
            trustedAuditKeys: reader.string(forKey: "security.audit-trusted-keys", default: "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }.filter { !$0.isEmpty },
            platformUnitCode: reader.string(forKey: "security.platform-unit-code", default: "12330100MB0000000K").uppercased(),
            platformUnitName: reader.string(forKey: "security.platform-unit-name", default: "社会信用信息中心")
        )
    }

    /// The node keys: from `security.node-key`, else the key file in the data directory (created on
    /// first start when `create`; commands that only check signatures pass false).
    public func keys(dataDirectory: String, create: Bool = true) throws -> NodeKeys {
        if let nodeKey, !nodeKey.isEmpty {
            guard let seed = Data(base64Encoded: nodeKey) else {
                throw CreditHubError(code: "invalid_node_key", message: "security.node-key is not base64")
            }
            return try NodeKeys(seed: seed)
        }
        let path = (dataDirectory as NSString).appendingPathComponent("keys/node.key")
        guard create || FileManager.default.fileExists(atPath: path) else {
            throw CreditHubError(code: "no_node_key", message: "no node key: \(path) does not exist and security.node-key is not set")
        }
        return try NodeKeys.loadOrCreate(path: path)
    }

    /// The public keys whose audit signatures count: the node's and the configured earlier ones.
    public func trustedAuditKeys(current keys: NodeKeys) -> Set<String> {
        Set(trustedAuditKeys).union([keys.publicKeyHex])
    }
}

