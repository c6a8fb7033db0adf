import CreditHubTestSupport
import CreditKernel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Security
import Server
import Storage
import Testing

/// Signing in through the console's forms, on both stores: two factors, lockout, session expiry,
/// CSRF, logout everywhere, resets and separation of duties.
@Suite("Console sign-in")
struct SignInTests {
    static let password = "Correct-Horse-7!"

    /// What one form post answered.
    struct Answer {
        var status: HTTPResponse.Status
        var location: String?
        var cookie: String?
        var body: String
    }

    static func post(_ client: some TestClientProtocol, _ path: String, _ form: [(String, String)], cookie: String? = nil, csrf: String? = nil) async throws -> Answer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        var fields = form
        var cookies = cookie.map { ["credithub_session=\($0)"] } ?? []
        if let csrf {
            fields.append(("_csrf", csrf))
        } else if path == "/login" {
            // As a browser does: the sign-in form's token comes with the page and its cookie.
            let token = try await loginToken(client)
            fields.append(("_csrf", token))
            cookies.append("credithub_login=\(token)")
        }
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"]
        if !cookies.isEmpty { headers[.cookie] = cookies.joined(separator: "; ") }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            Answer(status: response.status, location: response.headers[.location], cookie: Self.sessionCookie(response.headers), body: String(buffer: response.body))
        }
    }

    /// The sign-in page's token: set as a cookie and carried in the form.
    static func loginToken(_ client: some TestClientProtocol) async throws -> String {
        let (header, page) = try await client.execute(uri: "/login", method: .get, headers: [.accept: "text/html"]) { ($0.headers[.setCookie] ?? "", String(buffer: $0.body)) }
        #expect(header.hasPrefix("credithub_login=") && header.contains("HttpOnly") && header.contains("SameSite=Strict"))
        let token = String(header.dropFirst("credithub_login=".count).prefix { $0 != ";" })
        #expect(token.count >= 32 && page.contains("name=\"_csrf\" value=\"\(token)\""))
        return token
    }

    static func get(_ client: some TestClientProtocol, _ path: String, cookie: String?) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [.accept: "application/json"]
        if let cookie { headers[.cookie] = "credithub_session=\(cookie)" }
        return try await client.execute(uri: path, method: .get, headers: headers) { $0.status }
    }

    static func sessionCookie(_ headers: HTTPFields) -> String? {
        guard let header = headers[.setCookie], header.hasPrefix("credithub_session=") else { return nil }
        return String(header.dropFirst("credithub_session=".count).prefix { $0 != ";" })
    }

    static func csrf(_ platform: TestPlatform, _ token: String) async throws -> String {
        try #require(try await platform.store.identity.session(idHash: RandomToken.digest(token))).csrfToken
    }

    /// Both factors through the forms; the session token of a fully signed-in person.
    static func signIn(_ client: some TestClientProtocol, _ platform: TestPlatform, _ username: String, totp: TOTP) async throws -> String {
        let first = try await post(client, "/login", [("username", username), ("password", password)])
        #expect(first.status == .seeOther && first.location == "/login/code")
        let token = try #require(first.cookie)
        let second = try await post(client, "/login/code", [("code", totp.code(at: platform.clock.now))], cookie: token, csrf: try await csrf(platform, token))
        #expect(second.status == .seeOther && second.location == "/", "\(second.body)")
        return token
    }

    @Test("The session cookie is HttpOnly and SameSite=Strict; a code is accepted once", arguments: StoreBackend.allCases)
    func codeOnce(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let (_, totp) = try await platform.person("alice", roles: [.reviewer])
            try await platform.application().test(.router) { client in
                let first = try await Self.post(client, "/login", [("username", "alice"), ("password", Self.password)])
                let login = try await Self.loginToken(client)
                let header = try await client.execute(
                    uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "credithub_login=\(login)"],
                    body: ByteBuffer(string: "username=alice&password=Correct-Horse-7%21&_csrf=\(login)")
                ) {
                    $0.headers[.setCookie] ?? ""
                }
                #expect(header.contains("HttpOnly") && header.contains("SameSite=Strict") && header.contains("Path=/"))
                let token = try #require(first.cookie)
                // Before the second factor, the home page is out of reach.
                #expect(try await Self.get(client, "/", cookie: token) == .unauthorized)
                let code = totp.code(at: platform.clock.now)
                let accepted = try await Self.post(client, "/login/code", [("code", code)], cookie: token, csrf: try await Self.csrf(platform, token))
                #expect(accepted.status == .seeOther && accepted.location == "/")
                #expect(try await Self.get(client, "/", cookie: token) == .ok)

                // The same code on a second sign-in is refused, even within its 30 seconds.
                let again = try #require(try await Self.post(client, "/login", [("username", "alice"), ("password", Self.password)]).cookie)
                let reused = try await Self.post(client, "/login/code", [("code", code)], cookie: again, csrf: try await Self.csrf(platform, again))
                #expect(reused.status == .unauthorized)
                #expect(reused.body.contains("already used"))
                // The next step's code works.
                platform.clock.advance(30)
                let next = try await Self.post(client, "/login/code", [("code", totp.code(at: platform.clock.now))], cookie: again, csrf: try await Self.csrf(platform, again))
                #expect(next.location == "/")
            }
            let entries = try await platform.store.audit.search(AuditQuery(action: "login.code"))
            #expect(entries.contains { $0.actor.id == "alice" && $0.outcome == .failure })
        }
    }

    @Test("Five wrong passwords lock the account for 15 minutes", arguments: StoreBackend.allCases)
    func lockout(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            _ = try await platform.person("bob", roles: [.providerOperator])
            try await platform.application().test(.router) { client in
                for attempt in 1...5 {
                    let answer = try await Self.post(client, "/login", [("username", "bob"), ("password", "wrong-\(attempt)-Password")])
                    #expect(answer.status == .unauthorized)
                    #expect(answer.cookie == nil)
                    #expect(answer.body.contains(attempt == 5 ? "locked" : "Wrong username or password"))
                }
                // Locked: even the right password is refused.
                let locked = try await Self.post(client, "/login", [("username", "bob"), ("password", Self.password)])
                #expect(locked.status == .unauthorized && locked.body.contains("locked"))
                platform.clock.advance(14 * 60)
                #expect(try await Self.post(client, "/login", [("username", "bob"), ("password", Self.password)]).body.contains("locked"))
                platform.clock.advance(61)
                let open = try await Self.post(client, "/login", [("username", "bob"), ("password", Self.password)])
                #expect(open.status == .seeOther && open.location == "/login/code")
            }
            let failures = try await platform.store.audit.search(AuditQuery(actor: "bob", action: "login"))
            #expect(failures.filter { $0.outcome == .failure }.count == 5)
            #expect(failures.contains { $0.outcome == .denied && $0.details.contains("\"reason\":\"locked\"") })
        }
    }

    @Test("Sessions end after 30 idle minutes and after 8 hours in all", arguments: StoreBackend.allCases)
    func expiry(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let (_, totp) = try await platform.person("carol", roles: [.auditor])
            try await platform.application().test(.router) { client in
                let idle = try await Self.signIn(client, platform, "carol", totp: totp)
                platform.clock.advance(29 * 60)
                #expect(try await Self.get(client, "/", cookie: idle) == .ok)
                platform.clock.advance(29 * 60)
                #expect(try await Self.get(client, "/", cookie: idle) == .ok)
                platform.clock.advance(31 * 60)
                #expect(try await Self.get(client, "/", cookie: idle) == .unauthorized)
                // A browser is sent to the sign-in page instead.
                let redirect = try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html", .cookie: "credithub_session=\(idle)"]) { $0.headers[.location] }
                #expect(redirect == "/login")

                platform.clock.advance(31)
                let busy = try await Self.signIn(client, platform, "carol", totp: totp)
                for _ in 0..<16 {
                    platform.clock.advance(29 * 60)
                    #expect(try await Self.get(client, "/", cookie: busy) == .ok)
                }
                platform.clock.advance(29 * 60)
                #expect(try await Self.get(client, "/", cookie: busy) == .unauthorized)
            }
        }
    }

    @Test("A form without the session's CSRF token is refused, the sign-in form included", arguments: StoreBackend.allCases)
    func csrf(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let (_, totp) = try await platform.person("dave", roles: [.platformAdmin])
            try await platform.application().test(.router) { client in
                // A sign-in form posted from elsewhere has no token, or one that is not the cookie's.
                let login = try await Self.loginToken(client)
                for (cookie, field) in [(nil, nil), (login, nil), (nil, login), (login, RandomToken.make(bytes: 24))] as [(String?, String?)] {
                    var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"]
                    if let cookie { headers[.cookie] = "credithub_login=\(cookie)" }
                    let body = "username=dave&password=Correct-Horse-7%21" + (field.map { "&_csrf=\($0)" } ?? "")
                    let (status, setCookie) = try await client.execute(uri: "/login", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                        ($0.status, $0.headers[.setCookie] ?? "")
                    }
                    #expect(status == .forbidden)
                    #expect(!setCookie.hasPrefix("credithub_session="))
                }
                let token = try await Self.signIn(client, platform, "dave", totp: totp)
                let form = [("code", "91330100716105852F"), ("name", "测试单位")]
                let missing = try await Self.post(client, "/admin/units", form, cookie: token)
                #expect(missing.status == .forbidden)
                #expect(missing.body.contains("reload the page"))
                let wrong = try await Self.post(client, "/admin/units", form, cookie: token, csrf: RandomToken.make(bytes: 24))
                #expect(wrong.status == .forbidden)
                #expect(try await platform.store.identity.unit(code: "91330100716105852F") == nil)
                // The header form, for scripts in the page, works the same way.
                let header = try await client.execute(
                    uri: "/admin/units", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "credithub_session=\(token)", .accept: "application/json", HTTPField.Name("X-CSRF-Token")!: "nope"],
                    body: ByteBuffer(string: "code=91330100716105852F&name=x")
                ) { response in (response.status, String(buffer: response.body)) }
                #expect(header.0 == .forbidden && header.1.contains("\"csrf\""))
                let good = try await Self.post(client, "/admin/units", form, cookie: token, csrf: try await Self.csrf(platform, token))
                #expect(good.status == .ok)
                #expect(try await platform.store.identity.unit(code: "91330100716105852F")?.name == "测试单位")
            }
        }
    }

    @Test("Logout everywhere ends every session of the person", arguments: StoreBackend.allCases)
    func logoutEverywhere(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let (_, totp) = try await platform.person("erin", roles: [.consumerOperator])
            let (other, _) = try await platform.person("frank", roles: [.consumerOperator])
            let bystander = try await platform.session(for: other)
            try await platform.application().test(.router) { client in
                let laptop = try await Self.signIn(client, platform, "erin", totp: totp)
                platform.clock.advance(31)
                let phone = try await Self.signIn(client, platform, "erin", totp: totp)
                let answer = try await Self.post(client, "/logout/everywhere", [], cookie: phone, csrf: try await Self.csrf(platform, phone))
                #expect(answer.status == .seeOther && answer.location == "/login")
                #expect(try await Self.get(client, "/", cookie: laptop) == .unauthorized)
                #expect(try await Self.get(client, "/", cookie: phone) == .unauthorized)
                #expect(try await Self.get(client, "/", cookie: bystander.token) == .ok)
            }
        }
    }

    @Test("A reset password must be changed and the code re-enrolled", arguments: StoreBackend.allCases)
    func reset(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let (officer, _) = try await platform.person("grace", roles: [.securityOfficer])
            let (person, oldTOTP) = try await platform.person("heidi", roles: [.providerOperator])
            let admin = try await platform.session(for: officer)
            try await platform.application().test(.router) { client in
                let oldSession = try await Self.signIn(client, platform, "heidi", totp: oldTOTP)
                let reset = try await Self.post(client, "/admin/people/\(person.id)/reset", [], cookie: admin.token, csrf: admin.csrf)
                #expect(reset.status == .ok)
                let oneTime = try #require(reset.body.firstMatch(of: /<code[^>]*>([^<]+)<\/code>/)?.1).description
                #expect(try await Self.get(client, "/", cookie: oldSession) == .unauthorized)
                // The old password no longer works; the one-time one leads to a password change.
                #expect(try await Self.post(client, "/login", [("username", "heidi"), ("password", Self.password)]).status == .unauthorized)
                let first = try await Self.post(client, "/login", [("username", "heidi"), ("password", oneTime)])
                #expect(first.location == "/account/password")
                let token = try #require(first.cookie)
                #expect(try await Self.get(client, "/", cookie: token) == .unauthorized)
                let weak = try await Self.post(client, "/account/password", [("current", oneTime), ("new", "password1234"), ("confirm", "password1234")], cookie: token, csrf: try await Self.csrf(platform, token))
                #expect(weak.status == .badRequest)
                let changed = try await Self.post(
                    client, "/account/password", [("current", oneTime), ("new", "Another-Long-Pass-9"), ("confirm", "Another-Long-Pass-9")], cookie: token,
                    csrf: try await Self.csrf(platform, token)
                )
                #expect(changed.location == "/account/totp")
                // Enrolment shows a new secret; the old authenticator no longer works.
                let page = try await client.execute(uri: "/account/totp", method: .get, headers: [.cookie: "credithub_session=\(token)"]) { String(buffer: $0.body) }
                #expect(page.contains("otpauth://totp/CreditHub:heidi?secret="))
                let secret = try #require(page.firstMatch(of: /secret=([A-Z2-7]+)/)?.1).description
                let newTOTP = TOTP(secret: try #require(Base32.decode(secret)))
                let old = try await Self.post(client, "/account/totp", [("code", oldTOTP.code(at: platform.clock.now))], cookie: token, csrf: try await Self.csrf(platform, token))
                #expect(old.status == .badRequest)
                let enrolled = try await Self.post(client, "/account/totp", [("code", newTOTP.code(at: platform.clock.now))], cookie: token, csrf: try await Self.csrf(platform, token))
                #expect(enrolled.location == "/")
                #expect(try await Self.get(client, "/", cookie: token) == .ok)
            }
            let actions = try await platform.store.audit.search(AuditQuery()).map(\.action)
            #expect(actions.contains("password.reset") && actions.contains("password.change") && actions.contains("totp.enrol"))
        }
    }

    @Test("Role assignments that break separation of duties are refused with the rule", arguments: StoreBackend.allCases)
    func separationOfDuties(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let (admin, _) = try await platform.person("ivan", roles: [.platformAdmin])
            let (person, _) = try await platform.person("judy", roles: [.reviewer])
            let session = try await platform.session(for: admin)
            try await platform.application().test(.router) { client in
                let auditorToo = try await Self.post(client, "/admin/people/\(person.id)/roles", [("role", "reviewer"), ("role", "auditor")], cookie: session.token, csrf: session.csrf)
                #expect(auditorToo.status == .conflict)
                #expect(auditorToo.body.contains("auditor"))
                let grantsAndUses = try await Self.post(
                    client, "/admin/people/\(person.id)/roles", [("role", "reviewer"), ("role", "consumer_operator")], cookie: session.token, csrf: session.csrf
                )
                #expect(grantsAndUses.status == .conflict)
                #expect(grantsAndUses.body.contains("consumer_operator"))
                let created = try await Self.post(
                    client, "/admin/people", [("username", "mallory"), ("displayName", "M"), ("unit", person.unitID), ("role", "platform_admin"), ("role", "consumer_operator")],
                    cookie: session.token, csrf: session.csrf
                )
                #expect(created.status == .conflict)
                #expect(try await platform.store.identity.person(username: "mallory") == nil)
                let fine = try await Self.post(client, "/admin/people/\(person.id)/roles", [("role", "reviewer"), ("role", "provider_approver")], cookie: session.token, csrf: session.csrf)
                #expect(fine.status == .ok)
            }
            #expect(try await platform.store.identity.person(id: person.id)?.roles == [.reviewer, .providerApprover])
            let refusals = try await platform.store.audit.search(AuditQuery(action: "role.assign")).filter { $0.outcome == .denied }
            #expect(refusals.count == 2)
        }
    }
}

@Suite("Console receipts")
struct ConsoleReceiptTests {
    @Test("A workbook's receipt page names the sheet that was read", arguments: StoreBackend.allCases)
    func workbookSheet(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let own = try await platform.unit()
            let (clerk, _) = try await platform.person("clerk", roles: [.providerOperator], unit: own)
            let path = Scratch.path("w", ".xlsx")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let data = [PenaltyRows.header.map { XLSXBuilder.Cell.shared($0) }, PenaltyRows.cells(PenaltyRows.record(1)).map { XLSXBuilder.Cell.shared($0) }]
            try XLSXBuilder.write(sheets: [("填报说明", [[.shared("填报说明：日期填写为 YYYY-MM-DD")]]), ("行政处罚 & 警告", data)], to: path)
            let acknowledgement = try await platform.collector.submit(
                Submission(
                    sourceUnit: own.code, resourceID: "admin_penalty", channel: .terminalUpload, artefact: .file(path: path), fileName: "模板.xlsx", submittedBy: "clerk"
                )
            )
            try await platform.application().test(.live) { client in
                #expect(try await platform.collector.waitForCompletion(batch: acknowledgement.batch, timeout: .seconds(30))?.rows.accepted == 1)
                let session = try await platform.session(for: clerk)
                let page = try await client.execute(
                    uri: "/submissions/\(acknowledgement.batch)", method: .get, headers: [.cookie: "credithub_session=\(session.token)", .accept: "text/html"]
                ) { String(buffer: $0.body) }
                #expect(page.contains("工作表 Sheet: 行政处罚 &amp; 警告"))
            }
        }
    }

    @Test("Providers open only their unit's receipts; reviewers open any", arguments: StoreBackend.allCases)
    func visibility(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let own = try await platform.unit()
            let other = try await platform.unit("00250199", name: "杭州市大数据局")
            let (clerk, _) = try await platform.person("clerk", roles: [.providerOperator], unit: own)
            let (stranger, _) = try await platform.person("stranger", roles: [.providerOperator], unit: other)
            let (reviewer, _) = try await platform.person("checker", roles: [.reviewer], unit: other)
            let csv = PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2, ["CF_WSH": ""])])
            let acknowledgement = try await platform.collector.submit(
                Submission(sourceUnit: own.code, resourceID: "admin_penalty", channel: .terminalUpload, artefact: .bytes(Data(csv.utf8)), fileName: "a.csv", submittedBy: "clerk")
            )
            try await platform.application().test(.live) { client in
                #expect(try await platform.collector.waitForCompletion(batch: acknowledgement.batch, timeout: .seconds(30))?.status == .completed)
                func open(_ path: String, as person: PersonAccount) async throws -> (HTTPResponse.Status, String) {
                    let session = try await platform.session(for: person)
                    return try await client.execute(uri: path, method: .get, headers: [.cookie: "credithub_session=\(session.token)", .accept: "text/html"]) {
                        ($0.status, String(buffer: $0.body))
                    }
                }
                let receipt = "/submissions/\(acknowledgement.batch)"
                let mine = try await open(receipt, as: clerk)
                #expect(mine.0 == .ok && mine.1.contains(acknowledgement.batch))
                #expect(try await open(receipt + "/rejected.csv", as: clerk).1.contains("「行政处罚决定书文号」为必填项"))
                #expect(try await open(receipt, as: stranger).0 == .notFound)
                #expect(try await open(receipt + "/rejected.csv", as: stranger).0 == .notFound)
                let whole = try await open(receipt + "/receipt.json", as: reviewer)
                #expect(whole.0 == .ok)
                let expected = try #require(try await platform.collector.receipt(batch: acknowledgement.batch))
                #expect(whole.1 == String(decoding: try ReceiptJSON.encoder(pretty: false).encode(expected), as: UTF8.self))
                #expect(try await open(receipt + "/receipt.json", as: stranger).0 == .notFound)
                #expect(try await open(receipt, as: reviewer).0 == .ok)
                // The list of every unit's batches links to receipts the reviewer can open.
                let all = try await open("/submissions/all", as: reviewer)
                #expect(all.1.contains("href=\"/submissions/\(acknowledgement.batch)\""))
                #expect(!(try await open("/submissions", as: stranger).1.contains(acknowledgement.batch)))
                #expect(!mine.1.contains("class=\"error\""), "a completed batch has no batch problem to show")
                #expect(!mine.1.contains("Unknown columns"))
            }
        }
    }

    /// A clerk of a new unit uploads `csv`; once it is processed, the batch's status and the
    /// receipt page the clerk sees over a live socket.
    static func clerksReceiptPage(_ platform: TestPlatform, csv: String) async throws -> (status: BatchStatus?, page: String) {
        let own = try await platform.unit()
        let (clerk, _) = try await platform.person("clerk", roles: [.providerOperator], unit: own)
        let acknowledgement = try await platform.collector.submit(
            Submission(sourceUnit: own.code, resourceID: "admin_penalty", channel: .terminalUpload, artefact: .bytes(Data(csv.utf8)), fileName: "a.csv", submittedBy: "clerk")
        )
        return try await platform.application().test(.live) { client in
            let status = try await platform.collector.waitForCompletion(batch: acknowledgement.batch, timeout: .seconds(30))?.status
            let session = try await platform.session(for: clerk)
            let page = try await client.execute(
                uri: "/submissions/\(acknowledgement.batch)", method: .get, headers: [.cookie: "credithub_session=\(session.token)", .accept: "text/html"]
            ) { String(buffer: $0.body) }
            return (status, page)
        }
    }

    @Test("A failed batch's receipt page says why, in Chinese and English", arguments: StoreBackend.allCases)
    func failureReason(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let header = PenaltyRows.header.filter { $0 != "处罚类别" }
            let csv = header.joined(separator: ",") + "\n" + Array(repeating: "x", count: header.count).joined(separator: ",") + "\n"
            let (status, page) = try await Self.clerksReceiptPage(platform, csv: csv)
            #expect(status == .failed)
            #expect(page.contains("<code>missing_required_columns</code> 表头缺少必填列：处罚类别"))
            #expect(page.contains("the header has no column for the required fields CF_CFLB"))
            // The header's columns are recorded before it is refused: the page shows what it lacks.
            #expect(page.contains("Columns the file lacks: CF_"))
            #expect(page.contains("CF_CFLB"))
            #expect(page.contains("编码 Encoding: utf-8"))
        }
    }

    @Test("A receipt page says how many problem rows it does not list past the batch's allowance", arguments: StoreBackend.allCases)
    func problemsOmitted(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend, ingestion: .init(chunkRows: 3, maximumProblemRows: 1)) { platform in
            let (status, page) = try await Self.clerksReceiptPage(platform, csv: PenaltyRows.csv((1...3).map { PenaltyRows.record($0, ["CF_XDR_MC": ""]) }))
            #expect(status == .completed)
            #expect(page.contains("另有 2 个问题行超出本批次逐行记录的上限"))
            #expect(page.contains("拒绝 3"))
        }
    }
}
