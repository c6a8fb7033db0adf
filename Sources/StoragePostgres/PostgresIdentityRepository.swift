import CreditKernel
import Foundation
import Logging
import PostgresNIO
import Storage

struct PostgresIdentityRepository: IdentityRepository {
    let client: PostgresClient
    let logger: Logger

    // MARK: - Units

    func createUnit(_ unit: OrganisationUnit) async throws {
        try await client.query(
            "INSERT INTO units (id, code, name, created_at) VALUES (\(unit.id), \(unit.code), \(unit.name), \(unit.createdAt))", logger: logger
        )
    }

    func fetchUnits(_ query: PostgresQuery) async throws -> [OrganisationUnit] {
        var result: [OrganisationUnit] = []
        for try await (id, code, name, created) in try await client.query(query, logger: logger).decode((String, String, String, Date).self) {
            result.append(OrganisationUnit(id: id, code: code, name: name, createdAt: created))
        }
        return result
    }

    func units() async throws -> [OrganisationUnit] {
        try await fetchUnits("SELECT id, code, name, created_at FROM units ORDER BY name")
    }

    func unit(id: String) async throws -> OrganisationUnit? {
        try await fetchUnits("SELECT id, code, name, created_at FROM units WHERE id = \(id)").first
    }

    func unit(code: String) async throws -> OrganisationUnit? {
        try await fetchUnits("SELECT id, code, name, created_at FROM units WHERE code = \(code)").first
    }

    // MARK: - People

    func createPerson(_ person: PersonAccount) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO people (id, username, display_name, unit_id, password_hash, must_change_password, totp_secret, totp_enrolled,
                    totp_last_step, failed_attempts, locked_until, disabled, created_at)
                VALUES (\(person.id), \(person.username), \(person.displayName), \(person.unitID), \(person.passwordHash),
                    \(person.mustChangePassword), \(person.sealedTOTPSecret), \(person.totpEnrolled), \(person.lastTOTPStep),
                    \(person.failedAttempts), \(person.lockedUntil), \(person.disabled), \(person.createdAt))
                """,
                logger: logger
            )
            try await Self.replaceRoles(connection, table: "person_roles", column: "person_id", id: person.id, roles: person.roles, logger: logger)
        }
    }

    static func replaceRoles(_ connection: PostgresConnection, table: String, column: String, id: String, roles: Set<Role>, logger: Logger) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE \(column) = $1", binds: binds(id)), logger: logger)
        for role in roles.sorted() {
            try await connection.query(
                PostgresQuery(unsafeSQL: "INSERT INTO \(table) (\(column), role) VALUES ($1, $2)", binds: binds(id, role.rawValue)), logger: logger
            )
        }
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }

    func roles(table: String, column: String, id: String) async throws -> Set<Role> {
        var roles: Set<Role> = []
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT role FROM \(table) WHERE \(column) = $1", binds: Self.binds(id)), logger: logger)
        for try await role in rows.decode(String.self) {
            if let role = Role(rawValue: role) { roles.insert(role) }
        }
        return roles
    }

    static let personColumns = """
        id, username, display_name, unit_id, password_hash, must_change_password, totp_secret, totp_enrolled, totp_last_step,
        failed_attempts, locked_until, disabled, created_at
        """

    func fetchPeople(_ query: PostgresQuery) async throws -> [PersonAccount] {
        var result: [PersonAccount] = []
        for try await row in try await client.query(query, logger: logger) {
            let row = row.makeRandomAccess()
            func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
            result.append(
                PersonAccount(
                    id: try value("id"), username: try value("username"), displayName: try value("display_name"), unitID: try value("unit_id"),
                    roles: [], passwordHash: try value("password_hash"), mustChangePassword: try value("must_change_password"),
                    sealedTOTPSecret: try value("totp_secret"), totpEnrolled: try value("totp_enrolled"), lastTOTPStep: try value("totp_last_step"),
                    failedAttempts: try value("failed_attempts"), lockedUntil: try value("locked_until"), disabled: try value("disabled"),
                    createdAt: try value("created_at")
                )
            )
        }
        for index in result.indices {
            result[index].roles = try await roles(table: "person_roles", column: "person_id", id: result[index].id)
        }
        return result
    }

    func person(id: String) async throws -> PersonAccount? {
        try await fetchPeople("SELECT \(unescaped: Self.personColumns) FROM people WHERE id = \(id)").first
    }

    func person(username: String) async throws -> PersonAccount? {
        try await fetchPeople("SELECT \(unescaped: Self.personColumns) FROM people WHERE username = \(username)").first
    }

    func people() async throws -> [PersonAccount] {
        try await fetchPeople("SELECT \(unescaped: Self.personColumns) FROM people ORDER BY username")
    }

    func updatePerson(_ person: PersonAccount) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                """
                UPDATE people SET username = \(person.username), display_name = \(person.displayName), unit_id = \(person.unitID),
                    password_hash = \(person.passwordHash), must_change_password = \(person.mustChangePassword), totp_secret = \(person.sealedTOTPSecret),
                    totp_last_step = CASE WHEN totp_secret IS NOT DISTINCT FROM \(person.sealedTOTPSecret) THEN totp_last_step ELSE 0 END,
                    totp_enrolled = \(person.totpEnrolled), failed_attempts = \(person.failedAttempts), locked_until = \(person.lockedUntil),
                    disabled = \(person.disabled)
                WHERE id = \(person.id)
                """,
                logger: logger
            )
            try await Self.replaceRoles(connection, table: "person_roles", column: "person_id", id: person.id, roles: person.roles, logger: logger)
        }
    }

    func acceptTOTPStep(personID: String, step: Int64) async throws -> Bool {
        let rows = try await client.query(
            "UPDATE people SET totp_last_step = \(step) WHERE id = \(personID) AND totp_last_step < \(step) RETURNING id", logger: logger
        )
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    func countPeople() async throws -> Int {
        for try await count in try await client.query("SELECT COUNT(*)::bigint FROM people", logger: logger).decode(Int64.self) { return Int(count) }
        return 0
    }

    // MARK: - Systems

    func createSystem(_ system: SystemAccount) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO systems (id, name, unit_id, disabled, created_at)
                VALUES (\(system.id), \(system.name), \(system.unitID), \(system.disabled), \(system.createdAt))
                """,
                logger: logger
            )
            try await Self.replaceRoles(connection, table: "system_roles", column: "system_id", id: system.id, roles: system.roles, logger: logger)
        }
    }

    func fetchSystems(_ query: PostgresQuery) async throws -> [SystemAccount] {
        var result: [SystemAccount] = []
        for try await (id, name, unit, disabled, created) in try await client.query(query, logger: logger).decode((String, String, String, Bool, Date).self) {
            result.append(SystemAccount(id: id, name: name, unitID: unit, roles: [], disabled: disabled, createdAt: created))
        }
        for index in result.indices {
            result[index].roles = try await roles(table: "system_roles", column: "system_id", id: result[index].id)
        }
        return result
    }

    func system(id: String) async throws -> SystemAccount? {
        try await fetchSystems("SELECT id, name, unit_id, disabled, created_at FROM systems WHERE id = \(id)").first
    }

    func systems() async throws -> [SystemAccount] {
        try await fetchSystems("SELECT id, name, unit_id, disabled, created_at FROM systems ORDER BY name")
    }

    func updateSystem(_ system: SystemAccount) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                "UPDATE systems SET name = \(system.name), unit_id = \(system.unitID), disabled = \(system.disabled) WHERE id = \(system.id)", logger: logger
            )
            try await Self.replaceRoles(connection, table: "system_roles", column: "system_id", id: system.id, roles: system.roles, logger: logger)
        }
    }

    func addCredential(_ credential: SystemCredential) async throws {
        try await client.query(
            """
            INSERT INTO system_credentials (key_id, system_id, secret, created_at, revoked_at)
            VALUES (\(credential.keyID), \(credential.systemID), \(credential.sealedSecret), \(credential.createdAt), \(credential.revokedAt))
            """,
            logger: logger
        )
    }

    func fetchCredentials(_ query: PostgresQuery) async throws -> [SystemCredential] {
        var result: [SystemCredential] = []
        for try await (key, system, secret, created, revoked) in try await client.query(query, logger: logger).decode((String, String, String, Date, Date?).self) {
            result.append(SystemCredential(keyID: key, systemID: system, sealedSecret: secret, createdAt: created, revokedAt: revoked))
        }
        return result
    }

    func credential(keyID: String) async throws -> SystemCredential? {
        try await fetchCredentials("SELECT key_id, system_id, secret, created_at, revoked_at FROM system_credentials WHERE key_id = \(keyID)").first
    }

    func credentials(systemID: String) async throws -> [SystemCredential] {
        try await fetchCredentials(
            "SELECT key_id, system_id, secret, created_at, revoked_at FROM system_credentials WHERE system_id = \(systemID) ORDER BY created_at"
        )
    }

    func revokeCredential(keyID: String, at time: Date) async throws {
        try await client.query("UPDATE system_credentials SET revoked_at = \(time) WHERE key_id = \(keyID) AND revoked_at IS NULL", logger: logger)
    }

    // MARK: - Sessions and nonces

    func createSession(_ session: ConsoleSession) async throws {
        try await client.query(
            """
            INSERT INTO sessions (id_hash, person_id, stage, csrf_token, created_at, last_seen_at, source_ip)
            VALUES (\(session.idHash), \(session.personID), \(session.stage.rawValue), \(session.csrfToken), \(session.createdAt),
                \(session.lastSeenAt), \(session.sourceIP))
            """,
            logger: logger
        )
    }

    func session(idHash: String) async throws -> ConsoleSession? {
        let rows = try await client.query(
            "SELECT id_hash, person_id, stage, csrf_token, created_at, last_seen_at, source_ip FROM sessions WHERE id_hash = \(idHash)", logger: logger
        )
        for try await (hash, person, stage, csrf, created, seen, ip) in rows.decode((String, String, String, String, Date, Date, String).self) {
            return ConsoleSession(
                idHash: hash, personID: person, stage: ConsoleSession.Stage(rawValue: stage) ?? .awaitingCode, csrfToken: csrf, createdAt: created,
                lastSeenAt: seen, sourceIP: ip
            )
        }
        return nil
    }

    func updateSession(_ session: ConsoleSession) async throws {
        try await client.query(
            """
            UPDATE sessions SET stage = \(session.stage.rawValue), csrf_token = \(session.csrfToken), last_seen_at = \(session.lastSeenAt)
            WHERE id_hash = \(session.idHash)
            """,
            logger: logger
        )
    }

    func deleteSession(idHash: String) async throws {
        try await client.query("DELETE FROM sessions WHERE id_hash = \(idHash)", logger: logger)
    }

    func deleteSessions(personID: String) async throws {
        try await client.query("DELETE FROM sessions WHERE person_id = \(personID)", logger: logger)
    }

    func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws {
        try await client.query("DELETE FROM sessions WHERE last_seen_at < \(idleBefore) OR created_at < \(createdBefore)", logger: logger)
    }

    func useNonce(keyID: String, nonce: String, at time: Date) async throws -> Bool {
        let rows = try await client.query(
            "INSERT INTO request_nonces (key_id, nonce, seen_at) VALUES (\(keyID), \(nonce), \(time)) ON CONFLICT DO NOTHING RETURNING nonce",
            logger: logger
        )
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    func deleteNonces(before time: Date) async throws {
        try await client.query("DELETE FROM request_nonces WHERE seen_at < \(time)", logger: logger)
    }
}
