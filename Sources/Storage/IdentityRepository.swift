import CreditKernel
import Foundation

/// Units, people, systems, their credentials, console sessions and request nonces.
public protocol IdentityRepository: Sendable {
    func createUnit(_ unit: OrganisationUnit) async throws
    func units() async throws -> [OrganisationUnit]
    func unit(id: String) async throws -> OrganisationUnit?
    func unit(code: String) async throws -> OrganisationUnit?

    func createPerson(_ person: PersonAccount) async throws
    func person(id: String) async throws -> PersonAccount?
    func person(username: String) async throws -> PersonAccount?
    func people() async throws -> [PersonAccount]
    /// Replaces a person's stored fields and roles. The last accepted TOTP step is left alone (only
    /// ``acceptTOTPStep(personID:step:)`` advances it) unless the secret changes, which clears it.
    func updatePerson(_ person: PersonAccount) async throws
    /// Accepts a TOTP step only if it is later than the last accepted one (a code is used once);
    /// returns whether it was accepted.
    func acceptTOTPStep(personID: String, step: Int64) async throws -> Bool
    func countPeople() async throws -> Int

    func createSystem(_ system: SystemAccount) async throws
    func system(id: String) async throws -> SystemAccount?
    func systems() async throws -> [SystemAccount]
    func updateSystem(_ system: SystemAccount) async throws
    func addCredential(_ credential: SystemCredential) async throws
    func credential(keyID: String) async throws -> SystemCredential?
    func credentials(systemID: String) async throws -> [SystemCredential]
    func revokeCredential(keyID: String, at time: Date) async throws

    func createSession(_ session: ConsoleSession) async throws
    func session(idHash: String) async throws -> ConsoleSession?
    func updateSession(_ session: ConsoleSession) async throws
    func deleteSession(idHash: String) async throws
    /// Ends every session of a person (logout everywhere, password reset).
    func deleteSessions(personID: String) async throws
    /// Removes sessions idle since before `idleBefore` or created before `createdBefore`.
    func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws

    /// Records a request nonce; false when the key already used it (a replay).
    func useNonce(keyID: String, nonce: String, at time: Date) async throws -> Bool
    func deleteNonces(before time: Date) async throws
}

/// The append-only, hash-chained audit log.
public protocol AuditRepository: Sendable {
    /// Chains and stores records after the current last entry, atomically, even with several
    /// writers (replicas); returns the stored entries.
    func append(_ records: [AuditRecord]) async throws -> [AuditEntry]
    /// The last entry's sequence and hash (0 and the genesis hash when empty).
    func head() async throws -> (sequence: Int64, hash: String)
    /// Entries from `sequence` on, in order.
    func entries(from sequence: Int64, limit: Int) async throws -> [AuditEntry]
    /// Entries matching a search, newest first.
    func search(_ query: AuditQuery) async throws -> [AuditEntry]
    func addCheckpoint(_ checkpoint: AuditCheckpoint) async throws
    func checkpoints() async throws -> [AuditCheckpoint]
    /// Deletes entries and checkpoints through `marker.throughSequence` and stores the marker.
    func purge(through marker: AuditPurgeMarker) async throws
    func purgeMarkers() async throws -> [AuditPurgeMarker]
}

/// A search of the audit log.
public struct AuditQuery: Sendable, Hashable {
    public var from: Date?
    public var to: Date?
    public var actor: String?
    public var action: String?
    public var target: String?
    public var limit: Int

    public init(from: Date? = nil, to: Date? = nil, actor: String? = nil, action: String? = nil, target: String? = nil, limit: Int = 200) {
        self.from = from
        self.to = to
        self.actor = actor
        self.action = action
        self.target = target
        self.limit = limit
    }
}
