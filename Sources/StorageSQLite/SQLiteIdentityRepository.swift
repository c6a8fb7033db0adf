import CreditKernel
import Foundation
import GRDB
import Storage

struct SQLiteIdentityRepository: IdentityRepository {
    let pool: DatabasePool

    // MARK: - Units

    func createUnit(_ unit: OrganisationUnit) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO units (id, code, name, created_at) VALUES (?, ?, ?, ?)",
                arguments: [unit.id, unit.code, unit.name, unit.createdAt.timeIntervalSince1970]
            )
        }
    }

    static func unit(_ row: Row) -> OrganisationUnit {
        OrganisationUnit(id: row["id"], code: row["code"], name: row["name"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    func units() async throws -> [OrganisationUnit] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM units ORDER BY name").map(Self.unit) }
    }

    func unit(id: String) async throws -> OrganisationUnit? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM units WHERE id = ?", arguments: [id]).map(Self.unit) }
    }

    func unit(code: String) async throws -> OrganisationUnit? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM units WHERE code = ?", arguments: [code]).map(Self.unit) }
    }

    // MARK: - People

    func createPerson(_ person: PersonAccount) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO people (id, username, display_name, unit_id, password_hash, must_change_password, totp_secret, totp_enrolled,
                        totp_last_step, failed_attempts, locked_until, disabled, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    person.id, person.username, person.displayName, person.unitID, person.passwordHash, person.mustChangePassword,
                    person.sealedTOTPSecret, person.totpEnrolled, person.lastTOTPStep, person.failedAttempts,
                    person.lockedUntil?.timeIntervalSince1970, person.disabled, person.createdAt.timeIntervalSince1970,
                ]
            )
            try Self.replaceRoles(db, table: "person_roles", column: "person_id", id: person.id, roles: person.roles)
        }
    }

    static func replaceRoles(_ db: Database, table: String, column: String, id: String, roles: Set<Role>) throws {
        try db.execute(sql: "DELETE FROM \(table) WHERE \(column) = ?", arguments: [id])
        for role in roles {
            try db.execute(sql: "INSERT INTO \(table) (\(column), role) VALUES (?, ?)", arguments: [id, role.rawValue])
        }
    }

    static func roles(_ db: Database, table: String, column: String, id: String) throws -> Set<Role> {
        Set(try String.fetchAll(db, sql: "SELECT role FROM \(table) WHERE \(column) = ?", arguments: [id]).compactMap(Role.init(rawValue:)))
    }

    static func person(_ db: Database, _ row: Row) throws -> PersonAccount {
        let id: String = row["id"]
        return PersonAccount(
            id: id, username: row["username"], displayName: row["display_name"], unitID: row["unit_id"],
            roles: try roles(db, table: "person_roles", column: "person_id", id: id), passwordHash: row["password_hash"],
            mustChangePassword: row["must_change_password"], sealedTOTPSecret: row["totp_secret"], totpEnrolled: row["totp_enrolled"],
            lastTOTPStep: row["totp_last_step"], failedAttempts: row["failed_attempts"],
            lockedUntil: (row["locked_until"] as Double?).map(Date.init(timeIntervalSince1970:)), disabled: row["disabled"],
            createdAt: Date(timeIntervalSince1970: row["created_at"])
        )
    }

    func person(id: String) async throws -> PersonAccount? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM people WHERE id = ?", arguments: [id]).map { try Self.person(db, $0) } }
    }

    func person(username: String) async throws -> PersonAccount? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM people WHERE username = ?", arguments: [username]).map { try Self.person(db, $0) }
        }
    }

    func people() async throws -> [PersonAccount] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM people ORDER BY username").map { try Self.person(db, $0) } }
    }

    func updatePerson(_ person: PersonAccount) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE people SET username = ?, display_name = ?, unit_id = ?, password_hash = ?, must_change_password = ?, totp_secret = ?,
                        totp_last_step = CASE WHEN totp_secret IS ? THEN totp_last_step ELSE 0 END,
                        totp_enrolled = ?, failed_attempts = ?, locked_until = ?, disabled = ?
                    WHERE id = ?
                    """,
                arguments: [
                    person.username, person.displayName, person.unitID, person.passwordHash, person.mustChangePassword, person.sealedTOTPSecret,
                    person.sealedTOTPSecret, person.totpEnrolled, person.failedAttempts, person.lockedUntil?.timeIntervalSince1970, person.disabled, person.id,
                ]
            )
            try Self.replaceRoles(db, table: "person_roles", column: "person_id", id: person.id, roles: person.roles)
        }
    }

    func acceptTOTPStep(personID: String, step: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE people SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", arguments: [step, personID, step])
            return db.changesCount == 1
        }
    }

    func countPeople() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM people") ?? 0 }
    }

    // MARK: - Systems

    func createSystem(_ system: SystemAccount) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO systems (id, name, unit_id, disabled, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [system.id, system.name, system.unitID, system.disabled, system.createdAt.timeIntervalSince1970]
            )
            try Self.replaceRoles(db, table: "system_roles", column: "system_id", id: system.id, roles: system.roles)
        }
    }

    static func system(_ db: Database, _ row: Row) throws -> SystemAccount {
        let id: String = row["id"]
        return SystemAccount(
            id: id, name: row["name"], unitID: row["unit_id"], roles: try roles(db, table: "system_roles", column: "system_id", id: id),
            disabled: row["disabled"], createdAt: Date(timeIntervalSince1970: row["created_at"])
        )
    }

    func system(id: String) async throws -> SystemAccount? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM systems WHERE id = ?", arguments: [id]).map { try Self.system(db, $0) } }
    }

    func systems() async throws -> [SystemAccount] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM systems ORDER BY name").map { try Self.system(db, $0) } }
    }

    func updateSystem(_ system: SystemAccount) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE systems SET name = ?, unit_id = ?, disabled = ? WHERE id = ?", arguments: [system.name, system.unitID, system.disabled, system.id]
            )
            try Self.replaceRoles(db, table: "system_roles", column: "system_id", id: system.id, roles: system.roles)
        }
    }

    func addCredential(_ credential: SystemCredential) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO system_credentials (key_id, system_id, secret, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [credential.keyID, credential.systemID, credential.sealedSecret, credential.createdAt.timeIntervalSince1970, credential.revokedAt?.timeIntervalSince1970]
            )
        }
    }

    static func credential(_ row: Row) -> SystemCredential {
        SystemCredential(
            keyID: row["key_id"], systemID: row["system_id"], sealedSecret: row["secret"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }

    func credential(keyID: String) async throws -> SystemCredential? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM system_credentials WHERE key_id = ?", arguments: [keyID]).map(Self.credential) }
    }

    func credentials(systemID: String) async throws -> [SystemCredential] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM system_credentials WHERE system_id = ? ORDER BY created_at", arguments: [systemID]).map(Self.credential)
        }
    }

    func revokeCredential(keyID: String, at time: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE system_credentials SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", arguments: [time.timeIntervalSince1970, keyID]
            )
        }
    }

    // MARK: - Sessions and nonces

    func createSession(_ session: ConsoleSession) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO sessions (id_hash, person_id, stage, csrf_token, created_at, last_seen_at, source_ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    session.idHash, session.personID, session.stage.rawValue, session.csrfToken, session.createdAt.timeIntervalSince1970,
                    session.lastSeenAt.timeIntervalSince1970, session.sourceIP,
                ]
            )
        }
    }

    func session(idHash: String) async throws -> ConsoleSession? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE id_hash = ?", arguments: [idHash]).map { row in
                ConsoleSession(
                    idHash: row["id_hash"], personID: row["person_id"], stage: ConsoleSession.Stage(rawValue: row["stage"]) ?? .awaitingCode,
                    csrfToken: row["csrf_token"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    lastSeenAt: Date(timeIntervalSince1970: row["last_seen_at"]), sourceIP: row["source_ip"]
                )
            }
        }
    }

    func updateSession(_ session: ConsoleSession) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE sessions SET stage = ?, csrf_token = ?, last_seen_at = ? WHERE id_hash = ?",
                arguments: [session.stage.rawValue, session.csrfToken, session.lastSeenAt.timeIntervalSince1970, session.idHash]
            )
        }
    }

    func deleteSession(idHash: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [idHash]) }
    }

    func deleteSessions(personID: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM sessions WHERE person_id = ?", arguments: [personID]) }
    }

    func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                arguments: [idleBefore.timeIntervalSince1970, createdBefore.timeIntervalSince1970]
            )
        }
    }

    func useNonce(keyID: String, nonce: String, at time: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO request_nonces (key_id, nonce, seen_at) VALUES (?, ?, ?)", arguments: [keyID, nonce, time.timeIntervalSince1970]
            )
            return db.changesCount == 1
        }
    }

    func deleteNonces(before time: Date) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM request_nonces WHERE seen_at < ?", arguments: [time.timeIntervalSince1970]) }
    }
}
