import CreditHubTestSupport
import Crypto
import CreditKernel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingestion
import InterfaceAdapter
import Logging
import NIOConcurrencyHelpers
import Prometheus
import Security
import Server
import Storage

/// A clock tests move by hand (lockout, session expiry, signature skew).
final class TestClock: Sendable {
    private let current = NIOLockedValueBox(Date())

    var now: Date { current.withLockedValue { $0 } }

    func advance(_ seconds: TimeInterval) {
        current.withLockedValue { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// The whole platform over one store: identity with a test clock, the audit log, the pipeline, the
/// interface adapter and the console, as `credithub serve` wires them.
struct TestPlatform: Sendable {
    let store: any CreditStore
    let keys: NodeKeys
    let audit: AuditLog
    let identity: IdentityService
    let collector: Collector
    let clock: TestClock
    let configuration: ServerConfiguration
    let raw: String

    static func with<Result: Sendable>(
        _ backend: StoreBackend, development: Bool = false, ingestion: IngestionConfiguration = .init(chunkRows: 3),
        _ body: @Sendable (TestPlatform) async throws -> Result
    ) async throws -> Result {
        try await TestStores.withStore(backend) { store in
            try await store.prepare(automaticMigration: true, logger: TestStores.logger)
            let raw = Scratch.path("raw")
            defer { try? FileManager.default.removeItem(atPath: raw) }
            var generator = SystemRandomNumberGenerator()
            let keys = try NodeKeys(seed: Data((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }))
            let audit = AuditLog(store: store, keys: keys, logger: TestStores.logger, checkpointEvery: 10)
            let clock = TestClock()
            let identity = IdentityService(
                store: store, keys: keys, audit: audit, configuration: SecurityConfiguration(bcryptCost: 4), logger: TestStores.logger, now: { clock.now }
            )
            let collector = Collector(store: store, raw: RawStore(directory: raw), configuration: ingestion, audit: audit, logger: TestStores.logger)
            let platform = TestPlatform(
                store: store, keys: keys, audit: audit, identity: identity, collector: collector, clock: clock,
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0, developmentMode: development, maximumUploadBytes: 1 << 20), raw: raw
            )
            return try await body(platform)
        }
    }

    var dependencies: ApplicationDependencies {
        let interface = InterfaceAdapter<CreditRequestContext>(collection: collector, maximumUploadBytes: configuration.maximumUploadBytes) { _, context in
            guard let principal = context.principal else { throw CreditHubError(code: "unauthenticated", message: "sign in") }
            return Submitter(unitCode: principal.unit.code, actor: principal.name, auditActor: principal.auditActor)
        }
        return ApplicationDependencies(
            store: store, metrics: PrometheusCollectorRegistry(), identity: identity, collection: collector, routes: [{ interface.register(on: $0) }]
        )
    }

    func application() throws -> some ApplicationProtocol {
        try buildApplication(
            configuration: configuration, dependencies: dependencies, services: [IngestionWorker(collector: collector, logger: TestStores.logger)],
            logger: TestStores.logger
        )
    }

    /// Every registered route, `METHOD /path/{parameter}`.
    func routes() throws -> [String] {
        try buildRouter(dependencies, configuration: configuration).routes
    }

    // MARK: - Accounts

    /// A unit with a valid code.
    func unit(_ body: String = "00250198", name: String = "杭州市市场监督管理局") async throws -> OrganisationUnit {
        let code = SampleCodes.uscc(organisationBody: body, prefix: "11")
        if let existing = try await store.identity.unit(code: code) { return existing }
        let unit = OrganisationUnit(id: UUID().uuidString.lowercased(), code: code, name: name, createdAt: clock.now)
        try await store.identity.createUnit(unit)
        return unit
    }

    /// A person with a known password and an enrolled TOTP secret.
    func person(_ username: String, roles: Set<Role>, unit: OrganisationUnit? = nil, password: String = "Correct-Horse-7!") async throws -> (PersonAccount, TOTP) {
        let owner: OrganisationUnit
        if let unit { owner = unit } else { owner = try await self.unit() }
        let secret = TOTP.generateSecret()
        let person = PersonAccount(
            id: UUID().uuidString.lowercased(), username: username, displayName: username, unitID: owner.id, roles: roles,
            passwordHash: try await PasswordHasher(cost: 4).hash(password), mustChangePassword: false, sealedTOTPSecret: try keys.seal(Base32.encode(secret)),
            totpEnrolled: true, lastTOTPStep: 0, failedAttempts: 0, lockedUntil: nil, disabled: false, createdAt: clock.now
        )
        try await store.identity.createPerson(person)
        return (person, TOTP(secret: secret))
    }

    /// A fully signed-in session for a person: the cookie token and the CSRF token.
    func session(for person: PersonAccount) async throws -> (token: String, csrf: String) {
        let token = RandomToken.make()
        let csrf = RandomToken.make(bytes: 24)
        try await store.identity.createSession(
            ConsoleSession(idHash: RandomToken.digest(token), personID: person.id, stage: .complete, csrfToken: csrf, createdAt: clock.now, lastSeenAt: clock.now, sourceIP: "")
        )
        return (token, csrf)
    }

    /// A system with a credential: key id and secret.
    func system(_ name: String, roles: Set<Role>, unit: OrganisationUnit? = nil) async throws -> (SystemAccount, keyID: String, secret: String) {
        let owner: OrganisationUnit
        if let unit { owner = unit } else { owner = try await self.unit() }
        let system = SystemAccount(id: "sys-\(name)", name: name, unitID: owner.id, roles: roles, disabled: false, createdAt: clock.now)
        try await store.identity.createSystem(system)
        let keyID = "ck_\(name)"
        let secret = RandomToken.make()
        try await store.identity.addCredential(SystemCredential(keyID: keyID, systemID: system.id, sealedSecret: try keys.seal(secret), createdAt: clock.now, revokedAt: nil))
        return (system, keyID, secret)
    }

    /// Headers signing a request as docs/api-auth.md describes.
    func signedHeaders(
        keyID: String, secret: String, method: String, path: String, query: String = "", body: [UInt8] = [], nonce: String = RandomToken.make(bytes: 12),
        timestamp: Date? = nil
    ) -> HTTPFields {
        let digest = SHA256Hex.of(body)
        let time = String(Int((timestamp ?? clock.now).timeIntervalSince1970))
        let signature = RequestSignature.sign(
            RequestSignature.stringToSign(method: method, path: path, query: query, timestamp: time, nonce: nonce, bodyDigest: digest), secret: secret
        )
        return [
            HTTPField.Name(RequestSignature.keyHeader)!: keyID, HTTPField.Name(RequestSignature.timestampHeader)!: time,
            HTTPField.Name(RequestSignature.nonceHeader)!: nonce, HTTPField.Name(RequestSignature.contentHeader)!: digest,
            HTTPField.Name(RequestSignature.signatureHeader)!: signature,
        ]
    }

    static func cookie(_ token: String, csrf: String? = nil) -> HTTPFields {
        var fields: HTTPFields = [.cookie: "credithub_session=\(token)"]
        if let csrf { fields[HTTPField.Name("X-CSRF-Token")!] = csrf }
        return fields
    }
}

enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
