import CreditKernel
import Foundation
import HTTPTypes
import Hummingbird
import InterfaceAdapter
import MultipartKit
import Mustache
import NIOCore
import Security
import Storage

/// The console (管理控制台): server-rendered pages for signing in, administration, submissions and
/// receipts, the conflict queue and the audit log.
struct ConsoleRoutes: Sendable {
    let identity: IdentityService
    let collection: any CollectionService
    let store: any CreditStore
    let library: MustacheLibrary
    let secureCookies: Bool
    /// Problem rows listed on a receipt page; the JSON download has them all.
    static let problemRowsShown = 500

    init(identity: IdentityService, collection: any CollectionService, store: any CreditStore, secureCookies: Bool) throws {
        self.identity = identity
        self.collection = collection
        self.store = store
        self.secureCookies = secureCookies
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    func register(on router: some RouterMethods<CreditRequestContext>) {
        router.get("/static/console.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: ConsoleTemplates.css)))
        }
        router.get("/login", use: loginForm)
        router.post("/login", use: login)
        router.get("/login/code") { _, context in
            guard context.session?.stage == .awaitingCode else { return try redirectForStage(context) }
            return page("动态口令 One-time code", "code", [:], context)
        }
        router.post("/login/code", use: verifyCode)
        router.get("/account/password") { _, context in
            page("修改密码 Change password", "password", ["mustChange": context.session?.stage == .mustChangePassword], context)
        }
        router.post("/account/password", use: changePassword)
        router.get("/account/totp", use: enrolment)
        router.post("/account/totp", use: completeEnrolment)
        router.post("/logout", use: logout)
        router.post("/logout/everywhere", use: logoutEverywhere)
        router.get("/", use: home)

        router.get("/admin/units", use: units)
        router.post("/admin/units", use: createUnit)
        router.get("/admin/people", use: people)
        router.post("/admin/people", use: createPerson)
        router.post("/admin/people/{person}/roles", use: setRoles)
        router.post("/admin/people/{person}/reset", use: resetPassword)
        router.get("/admin/systems", use: systems)
        router.post("/admin/systems", use: createSystem)
        router.post("/admin/systems/{system}/credentials", use: issueCredential)
        router.post("/admin/credentials/{key}/revoke", use: revokeCredential)

        router.get("/submissions", use: submissions)
        router.post("/submissions", use: upload)
        router.get("/submissions/all", use: allSubmissions)
        router.get("/submissions/{batch}", use: receipt)
        router.get("/submissions/{batch}/rejected.csv", use: rejectedCSV)
        router.get("/submissions/{batch}/receipt.json", use: receiptJSON)
        router.get("/conflicts", use: conflicts)
        router.post("/conflicts/{conflict}/resolve", use: resolveConflict)
        router.get("/audit", use: audit)
    }

    // MARK: - Rendering

    func page(_ title: String, _ template: String, _ values: [String: Any], _ context: CreditRequestContext, status: HTTPResponse.Status = .ok, notice: String? = nil, error: String? = nil) -> Response {
        var values = values
        values["csrf"] = context.session?.csrfToken ?? ""
        let body = library.render(values, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "body": body]
        if let notice { layout["notice"] = notice }
        if let error { layout["error"] = error }
        if case .person(let person, let unit) = context.principal {
            layout["user"] = ["name": person.displayName, "unit": unit.name, "csrf": context.session?.csrfToken ?? "", "links": Self.links(for: person.roles).map { ["href": $0.href, "label": $0.label] }]
        }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    func message(_ title: String, _ lines: [String], secret: String? = nil, back: String, _ context: CreditRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        var values: [String: Any] = ["lines": lines, "back": back]
        if let secret { values["secret"] = secret }
        return page(title, "message", values, context, status: status)
    }

    /// A refused administrative change: the reason, with the status the API would give it.
    func refusal(_ title: String, _ error: CreditHubError, back: String, _ context: CreditRequestContext) -> Response {
        message(title, [error.message], back: back, context, status: APIErrorMiddleware<CreditRequestContext>.status(for: error.code))
    }

    static func redirect(_ location: String, cookie: Cookie? = nil) -> Response {
        var headers: HTTPFields = [.location: location]
        if let cookie { headers[.setCookie] = cookie.description }
        return Response(status: .seeOther, headers: headers)
    }

    /// Where the session's stage says to go next.
    func redirectForStage(_ context: CreditRequestContext) throws -> Response {
        switch context.session?.stage {
        case .awaitingCode: Self.redirect("/login/code")
        case .mustChangePassword: Self.redirect("/account/password")
        case .mustEnrol: Self.redirect("/account/totp")
        case .complete: Self.redirect("/")
        case nil: Self.redirect("/login")
        }
    }

    func sessionCookie(_ token: String, expires: Bool = false) -> Cookie {
        Cookie(
            name: SecurityMiddleware.sessionCookie, value: expires ? "" : token, maxAge: expires ? 0 : nil, path: "/", secure: secureCookies,
            httpOnly: true, sameSite: .strict
        )
    }

    /// The console sections a person's roles open.
    static func links(for roles: Set<Role>) -> [(href: String, label: String, hint: String)] {
        var links: [(String, String, String)] = []
        if Policy.allows(.submitData, roles: roles) { links.append(("/submissions", "数据报送 Submissions", "上传文件、查看回执 / upload files, read receipts")) }
        if Policy.allows(.viewAllSubmissions, roles: roles) { links.append(("/submissions/all", "全部报送 All submissions", "各单位的批次与回执 / every unit's batches")) }
        if Policy.allows(.resolveConflicts, roles: roles) { links.append(("/conflicts", "冲突队列 Conflicts", "一数一源核实 / verify disagreeing sources")) }
        if Policy.allows(.manageUnits, roles: roles) { links.append(("/admin/units", "单位 Units", "部门与机构 / departments and firms")) }
        if Policy.allows(.managePeople, roles: roles) { links.append(("/admin/people", "人员 People", "账号、角色、密码重置 / accounts, roles, resets")) }
        if Policy.allows(.manageSystems, roles: roles) { links.append(("/admin/systems", "业务系统 Systems", "接口凭证 / API credentials")) }
        if Policy.allows(.readAudit, roles: roles) { links.append(("/audit", "审计日志 Audit log", "查询与校验 / search and verify")) }
        return links
    }

    // MARK: - Signing in

    /// Login CSRF (a forged form signing the victim into the attacker's account) is refused by a
    /// double-submit token: the sign-in form carries the value of a cookie only this site can set.
    static let loginCookie = "credithub_login"

    func loginPage(_ context: CreditRequestContext, token: String, username: String = "", status: HTTPResponse.Status = .ok, error: String? = nil) -> Response {
        var response = page("登录 Sign in", "login", ["username": username, "loginToken": token], context, status: status, error: error)
        response.headers[.setCookie] = Cookie(name: Self.loginCookie, value: token, path: "/login", secure: secureCookies, httpOnly: true, sameSite: .strict).description
        return response
    }

    @Sendable func loginForm(_ request: Request, context: CreditRequestContext) async throws -> Response {
        loginPage(context, token: request.cookies[Self.loginCookie]?.value ?? RandomToken.make(bytes: 24))
    }

    @Sendable func login(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let form = try await FormData(request)
        let username = form["username"] ?? ""
        guard let token = request.cookies[Self.loginCookie]?.value, !token.isEmpty, RandomToken.constantTimeEqual(form[SecurityMiddleware.csrfField] ?? "", token) else {
            return loginPage(
                context, token: RandomToken.make(bytes: 24), username: username, status: .forbidden,
                error: "登录页面已过期，请重新输入。/ The sign-in page had expired or did not come from this site; please sign in again."
            )
        }
        switch try await identity.login(username: username, password: form["password"] ?? "", sourceIP: context.sourceIP) {
        case .success(let (token, session)):
            var next = context
            next.session = session
            return Self.redirect(try redirectForStage(next).headers[.location] ?? "/", cookie: sessionCookie(token))
        case .failure(let failure):
            let text = switch failure {
            case .locked: "账号已被锁定，请稍后再试。/ The account is locked; try again later."
            case .disabled: "账号已停用。/ The account is disabled."
            default: "用户名或密码不正确。/ Wrong username or password."
            }
            return loginPage(context, token: token, username: username, status: .unauthorized, error: text)
        }
    }

    @Sendable func verifyCode(_ request: Request, context: CreditRequestContext) async throws -> Response {
        guard let session = context.session, let person = context.sessionPerson else { return Self.redirect("/login") }
        let form = try await FormData(request)
        switch try await identity.verifyCode(session: session, person: person, code: form["code"] ?? "", sourceIP: context.sourceIP) {
        case .success: return Self.redirect("/")
        case .failure(.locked): return Self.redirect("/login", cookie: sessionCookie("", expires: true))
        case .failure: return page("动态口令 One-time code", "code", [:], context, status: .unauthorized, error: "口令不正确或已使用。/ The code is wrong or was already used.")
        }
    }

    @Sendable func changePassword(_ request: Request, context: CreditRequestContext) async throws -> Response {
        guard let session = context.session, let person = context.sessionPerson else { return Self.redirect("/login") }
        let form = try await FormData(request)
        guard form["new"] == form["confirm"] else {
            return page("修改密码 Change password", "password", ["mustChange": session.stage == .mustChangePassword], context, status: .badRequest, error: "两次输入的新密码不一致。/ The new passwords differ.")
        }
        switch try await identity.changePassword(session: session, person: person, current: form["current"] ?? "", new: form["new"] ?? "", sourceIP: context.sourceIP) {
        case .success(let next):
            var updated = context
            updated.session = next
            return try redirectForStage(updated)
        case .failure(let error):
            return page("修改密码 Change password", "password", ["mustChange": session.stage == .mustChangePassword], context, status: .badRequest, error: error.message)
        }
    }

    @Sendable func enrolment(_ request: Request, context: CreditRequestContext) async throws -> Response {
        guard context.session?.stage == .mustEnrol, let person = context.sessionPerson else { return try redirectForStage(context) }
        let (secret, uri) = try await identity.enrolment(person: person)
        return page("绑定动态口令 Enrol a one-time code", "totp", Self.enrolmentValues(secret: secret, uri: uri), context)
    }

    /// The secret as text and as a QR code of its `otpauth://` URI, for the authenticator to scan.
    static func enrolmentValues(secret: String, uri: String) -> [String: Any] {
        ["secret": secret, "uri": uri, "qr": QRCode(uri)?.svg() ?? ""]
    }

    @Sendable func completeEnrolment(_ request: Request, context: CreditRequestContext) async throws -> Response {
        guard let session = context.session, let person = context.sessionPerson else { return Self.redirect("/login") }
        let form = try await FormData(request)
        switch try await identity.completeEnrolment(session: session, person: person, code: form["code"] ?? "", sourceIP: context.sourceIP) {
        case .success: return Self.redirect("/")
        case .failure:
            let (secret, uri) = try await identity.enrolment(person: person)
            return page("绑定动态口令 Enrol a one-time code", "totp", Self.enrolmentValues(secret: secret, uri: uri), context, status: .badRequest, error: "口令不正确。/ The code is wrong.")
        }
    }

    @Sendable func logout(_ request: Request, context: CreditRequestContext) async throws -> Response {
        if let token = context.sessionToken { try await identity.logout(token: token, person: context.sessionPerson, sourceIP: context.sourceIP) }
        return Self.redirect("/login", cookie: sessionCookie("", expires: true))
    }

    @Sendable func logoutEverywhere(_ request: Request, context: CreditRequestContext) async throws -> Response {
        if let person = context.sessionPerson { try await identity.logoutEverywhere(person: person, sourceIP: context.sourceIP) }
        return Self.redirect("/login", cookie: sessionCookie("", expires: true))
    }

    @Sendable func home(_ request: Request, context: CreditRequestContext) async throws -> Response {
        guard let principal = context.principal else { return Self.redirect("/login") }
        let links = Self.links(for: principal.roles).map { ["href": $0.href, "label": $0.label, "hint": $0.hint] }
        return page("工作台 Home", "home", ["roles": principal.roles.sorted().map { "\($0.chineseName) \($0.rawValue)" }, "links": links], context)
    }

    // MARK: - Administration

    func principal(_ context: CreditRequestContext) throws -> Principal {
        guard let principal = context.principal else { throw CreditHubError(code: "unauthenticated", message: "sign in first") }
        return principal
    }

    @Sendable func units(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let units = try await store.identity.units().map { ["id": $0.id, "code": $0.code, "name": $0.name] }
        return page("单位 Units", "units", ["units": units], context)
    }

    @Sendable func createUnit(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let form = try await FormData(request)
        do {
            let unit = try await identity.createUnit(code: (form["code"] ?? "").uppercased(), name: form["name"] ?? "", by: try principal(context), sourceIP: context.sourceIP)
            return message("单位已新增 Unit added", ["\(unit.name)（\(unit.code)）"], back: "/admin/units", context)
        } catch let error as CreditHubError {
            return refusal("未能新增 Not added", error, back: "/admin/units", context)
        }
    }

    static func roleChoices(_ selected: Set<Role>) -> [[String: Any]] {
        Role.allCases.filter { !$0.isSystemRole }.map { ["value": $0.rawValue, "label": "\($0.chineseName) \($0.rawValue)", "checked": selected.contains($0)] }
    }

    @Sendable func people(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let units = try await store.identity.units()
        let names = Dictionary(units.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let people = try await store.identity.people().map { person -> [String: Any] in
            let locked = person.lockedUntil.map { $0 > Date() } ?? false
            return [
                "id": person.id, "username": person.username, "displayName": person.displayName, "unit": names[person.unitID] ?? "",
                "roleChoices": Self.roleChoices(person.roles), "csrf": context.session?.csrfToken ?? "",
                "status": person.disabled ? "停用 disabled" : locked ? "锁定 locked" : person.totpEnrolled ? "正常 active" : "待绑定口令 enrolment pending",
            ]
        }
        return page(
            "人员 People", "people",
            ["people": people, "units": units.map { ["id": $0.id, "name": $0.name, "code": $0.code] }, "allRoles": Self.roleChoices([])], context
        )
    }

    @Sendable func createPerson(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let form = try await FormData(request)
        do {
            let (person, password) = try await identity.createPerson(
                username: form["username"] ?? "", displayName: form["displayName"] ?? "", unitID: form["unit"] ?? "", roles: Set(form.all("role").compactMap(Role.init)),
                by: try principal(context), sourceIP: context.sourceIP
            )
            return message("人员已新增 Person added", ["\(person.displayName)（\(person.username)）的一次性密码 one-time password:"], secret: password, back: "/admin/people", context)
        } catch let error as CreditHubError {
            return refusal("未能新增 Not added", error, back: "/admin/people", context)
        }
    }

    @Sendable func setRoles(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let form = try await FormData(request)
        do {
            let person = try await identity.setRoles(
                personID: try context.parameters.require("person"), roles: Set(form.all("role").compactMap(Role.init)), by: try principal(context), sourceIP: context.sourceIP
            )
            return message("角色已保存 Roles saved", ["\(person.username): \(person.roles.sorted().map(\.chineseName).joined(separator: "、"))"], back: "/admin/people", context)
        } catch let error as CreditHubError {
            return refusal("未能保存 Not saved", error, back: "/admin/people", context)
        }
    }

    @Sendable func resetPassword(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let password = try await identity.resetPassword(personID: try context.parameters.require("person"), by: try principal(context), sourceIP: context.sourceIP)
        return message("密码已重置 Password reset", ["新的一次性密码（首次登录须修改密码并重新绑定动态口令）/ New one-time password (change it and re-enrol the code at next sign-in):"], secret: password, back: "/admin/people", context)
    }

    @Sendable func systems(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let units = try await store.identity.units()
        let names = Dictionary(units.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var rows: [[String: Any]] = []
        for system in try await store.identity.systems() {
            let credentials = try await store.identity.credentials(systemID: system.id).map { ["keyID": $0.keyID, "revoked": $0.revokedAt != nil, "csrf": context.session?.csrfToken ?? ""] as [String: Any] }
            rows.append(["id": system.id, "name": system.name, "unit": names[system.unitID] ?? "", "roles": system.roles.sorted().map(\.rawValue).joined(separator: ", "), "credentials": credentials, "csrf": context.session?.csrfToken ?? ""])
        }
        return page("业务系统 Systems", "systems", ["systems": rows, "units": units.map { ["id": $0.id, "name": $0.name, "code": $0.code] }], context)
    }

    @Sendable func createSystem(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let form = try await FormData(request)
        do {
            let system = try await identity.createSystem(name: form["name"] ?? "", unitID: form["unit"] ?? "", roles: Set(form.all("role").compactMap(Role.init)), by: try principal(context), sourceIP: context.sourceIP)
            return message("系统已新增 System added", ["\(system.name)（\(system.id)）"], back: "/admin/systems", context)
        } catch let error as CreditHubError {
            return refusal("未能新增 Not added", error, back: "/admin/systems", context)
        }
    }

    @Sendable func issueCredential(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let (keyID, secret) = try await identity.issueCredential(systemID: try context.parameters.require("system"), by: try principal(context), sourceIP: context.sourceIP)
        return message("凭证已签发 Credential issued", ["密钥 ID Key id: \(keyID)", "密钥 Secret:"], secret: secret, back: "/admin/systems", context)
    }

    @Sendable func revokeCredential(_ request: Request, context: CreditRequestContext) async throws -> Response {
        try await identity.revokeCredential(keyID: try context.parameters.require("key"), by: try principal(context), sourceIP: context.sourceIP)
        return Self.redirect("/admin/systems")
    }

    // MARK: - Submissions and conflicts

    func batchRows(_ summaries: [BatchSummary]) -> [[String: Any]] {
        summaries.map { summary in
            [
                "batch": summary.batch, "resource": summary.resource, "unit": summary.sourceUnit, "file": summary.fileName ?? "", "status": summary.status.rawValue,
                "total": summary.rows.total, "accepted": summary.rows.accepted, "rejected": summary.rows.rejected, "duplicate": summary.rows.duplicate,
                "conflict": summary.rows.conflict, "received": ISO8601DateFormatter().string(from: summary.receivedAt),
            ]
        }
    }

    @Sendable func submissions(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let principal = try principal(context)
        let resources = try await store.catalogue.currentResources().filter { $0.resource.channels.contains(.terminalUpload) }.map { ["id": $0.resource.id, "name": $0.resource.name] }
        let batches = batchRows(try await collection.summaries(sourceUnit: principal.unit.code, limit: 100))
        return page("数据报送 Submissions", "submissions", ["batches": batches, "resources": resources, "canUpload": true], context)
    }

    @Sendable func allSubmissions(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let summaries = try await store.collection.batches(sourceUnit: nil, limit: 200).map { stored in
            BatchSummary(
                batch: stored.batch.id, resource: stored.batch.resourceID, sourceUnit: stored.batch.sourceUnit, channel: stored.batch.channel, status: stored.status,
                fileName: stored.batch.fileName, sha256: stored.batch.sha256, size: stored.batch.size, receivedAt: stored.batch.receivedAt, completedAt: stored.completedAt,
                processedRows: stored.processedRows, rows: stored.rows, quality: stored.quality
            )
        }
        return page("全部报送 All submissions", "submissions", ["batches": batchRows(summaries), "canUpload": false], context)
    }

    /// The terminal upload channel (虚拟终端): a file from the console, for the person's own unit.
    @Sendable func upload(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let principal = try principal(context)
        guard let contentType = request.headers[.contentType], let boundary = contentType.components(separatedBy: "boundary=").last?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) else {
            throw CreditHubError(code: "bad_request", message: "upload a file with the form")
        }
        let body = try await request.body.collect(upTo: 512 << 20)
        let parts = try MultipartForm.parse(Array(buffer: body), boundary: boundary)
        guard let file = parts.first(where: { $0.fileName != nil }), let resource = parts.first(where: { $0.name == "resource" }).map({ String(decoding: $0.data, as: UTF8.self) }) else {
            throw CreditHubError(code: "bad_request", message: "choose a resource and a file")
        }
        let acknowledgement = try await collection.submit(
            Submission(
                sourceUnit: principal.unit.code, resourceID: resource, channel: .terminalUpload, artefact: .bytes(Data(file.data)), fileName: file.fileName,
                submittedBy: principal.name
            )
        )
        _ = try await collection.waitForCompletion(batch: acknowledgement.batch, timeout: .seconds(20))
        return Self.redirect("/submissions/\(acknowledgement.batch)")
    }

    /// A batch the principal may see: their unit's, or any for platform staff.
    func visibleBatch(_ context: CreditRequestContext) async throws -> BatchSummary {
        let principal = try principal(context)
        let batch = try context.parameters.require("batch")
        guard let summary = try await collection.summary(batch: batch),
            summary.sourceUnit == principal.unit.code || Policy.allows(.viewAllSubmissions, roles: principal.roles)
        else { throw CreditHubError(code: "batch_not_found", message: "no such batch for your unit") }
        return summary
    }

    @Sendable func receipt(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let summary = try await visibleBatch(context)
        guard let receipt = try await collection.receiptSummary(batch: summary.batch) else { throw CreditHubError(code: "batch_not_found", message: "no receipt") }
        let problems = try await collection.problems(batch: summary.batch, afterRow: 0, limit: Self.problemRowsShown).map { problem -> [String: Any] in
            ["row": problem.row, "status": problem.status.rawValue, "issues": problem.issues.map { ["field": $0.field ?? "", "message": "\($0.message) / \($0.messageEnglish)"] }]
        }
        var values: [String: Any] = [
            "batch": receipt.batch, "resource": receipt.resource, "encoding": receipt.encoding?.rawValue ?? "", "status": receipt.status.rawValue,
            "total": receipt.rows.total, "accepted": receipt.rows.accepted, "fixed": receipt.rows.fixed, "rejected": receipt.rows.rejected,
            "duplicate": receipt.rows.duplicate, "conflict": receipt.rows.conflict, "problems": problems, "hasRejected": receipt.rows.rejected > 0,
            "moreProblems": problems.count == Self.problemRowsShown, "shown": Self.problemRowsShown,
            // Why a batch failed (an unreadable file, the wrong template) is the first thing a clerk needs.
            "batchProblems": receipt.batchProblems.map { ["code": $0.code.rawValue, "message": $0.message, "messageEnglish": $0.messageEnglish] },
        ]
        // A section renders for any string, even an empty one: only columns there are.
        if !receipt.missingColumns.isEmpty { values["missingColumns"] = receipt.missingColumns.joined(separator: "、") }
        if !receipt.unknownColumns.isEmpty { values["unknownColumns"] = receipt.unknownColumns.joined(separator: "、") }
        if let sheet = receipt.sheet { values["sheet"] = sheet }
        if let omitted = receipt.problemsOmitted { values["problemsOmitted"] = omitted }
        if let quality = receipt.quality {
            values["quality"] = ["completeness": String(format: "%.3f", quality.completeness), "validity": String(format: "%.3f", quality.validity), "uniqueness": String(format: "%.3f", quality.uniqueness)]
        }
        return page("回执 Receipt \(receipt.batch)", "receipt", values, context)
    }

    @Sendable func rejectedCSV(_ request: Request, context: CreditRequestContext) async throws -> Response {
        RejectedRowsDownload.response(try await visibleBatch(context), collection)
    }

    @Sendable func receiptJSON(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let summary = try await visibleBatch(context)
        guard let receipt = try await collection.receiptSummary(batch: summary.batch) else { throw CreditHubError(code: "batch_not_found", message: "no receipt") }
        return ReceiptDownload.response(receipt, collection, attachment: true)
    }

    @Sendable func conflicts(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let rows = try await store.collection.conflicts(status: .open, limit: 200).map { conflict -> [String: Any] in
            [
                "id": conflict.id, "resource": conflict.resourceID, "key": conflict.businessKey.replacingOccurrences(of: "\u{1F}", with: " + "),
                "storedSource": conflict.storedSourceUnit, "storedBatch": conflict.storedBatchID, "storedRow": conflict.storedRowNumber,
                "incomingSource": conflict.incoming.sourceUnit, "incomingBatch": conflict.incoming.batchID, "incomingRow": conflict.incoming.rowNumber,
                "incomingData": conflict.incoming.data, "csrf": context.session?.csrfToken ?? "",
            ]
        }
        return page("冲突队列 Conflicts", "conflicts", ["conflicts": rows], context)
    }

    @Sendable func resolveConflict(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let principal = try principal(context)
        let form = try await FormData(request)
        let id = try context.parameters.require("conflict")
        let keepIncoming = form["keep"] == "incoming"
        let reason = form["reason"] ?? ""
        guard !reason.isEmpty else { return message("未处理 Not resolved", ["请填写理由。/ Give a reason."], back: "/conflicts", context) }
        let resolved = try await store.collection.resolveConflict(id: id, keepIncoming: keepIncoming, resolvedBy: principal.name, reason: reason, at: Date())
        try await identity.audit.record(
            AuditRecord(
                actor: principal.auditActor, sourceIP: context.sourceIP, action: "conflict.resolve", target: id,
                details: ["resource": resolved.resourceID, "kept": keepIncoming ? "incoming" : "stored", "reason": reason, "incoming_source": resolved.incoming.sourceUnit]
            )
        )
        return Self.redirect("/conflicts")
    }

    // MARK: - Audit

    @Sendable func audit(_ request: Request, context: CreditRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        // Days in China Standard Time.
        func date(_ name: String) -> Date? {
            guard let text = query[Substring(name)], let day = CalendarDate(iso: String(text)) else { return nil }
            let seconds = TimeInterval(day.daysSinceEpoch) * 86400 - 8 * 3600
            return Date(timeIntervalSince1970: seconds)
        }
        let search = AuditQuery(
            from: date("from"), to: date("to").map { $0.addingTimeInterval(86400) }, actor: query["actor"].map(String.init), action: query["action"].map(String.init),
            target: query["target"].map(String.init), limit: 300
        )
        let entries = try await store.audit.search(search).map { entry -> [String: Any] in
            [
                "sequence": entry.sequence, "at": ISO8601DateFormatter().string(from: entry.at), "actor": "\(entry.actor.kind.rawValue):\(entry.actor.id) \(entry.actor.unit)",
                "ip": entry.sourceIP, "action": entry.action, "target": entry.target, "outcome": entry.outcome.rawValue, "details": entry.details,
            ]
        }
        let head = try await store.audit.head()
        let checkpoint = try await store.audit.checkpoints().last
        let values: [String: Any] = [
            "entries": entries, "head": "#\(head.sequence)", "checkpoint": checkpoint.map { "#\($0.sequence) \(ISO8601DateFormatter().string(from: $0.at))" } ?? "—",
            "from": query["from"].map(String.init) ?? "", "to": query["to"].map(String.init) ?? "", "actor": query["actor"].map(String.init) ?? "",
            "action": query["action"].map(String.init) ?? "", "target": query["target"].map(String.init) ?? "",
        ]
        return page("审计日志 Audit log", "audit", values, context)
    }
}

/// A URL-encoded form, with repeated fields (checkboxes) kept.
struct FormData {
    let fields: [(String, String)]

    init(_ request: Request) async throws {
        self.init(urlEncoded: String(buffer: try await request.body.collect(upTo: 1 << 20)))
    }

    /// Parses `application/x-www-form-urlencoded` text.
    init(urlEncoded body: String) {
        fields = body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
        }
    }

    subscript(name: String) -> String? {
        fields.first { $0.0 == name }?.1
    }

    func all(_ name: String) -> [String] {
        fields.filter { $0.0 == name }.map(\.1)
    }
}

/// The parts of a collected multipart/form-data body (console uploads, bounded by the upload
/// limit; the API streams instead).
enum MultipartForm {
    struct Part {
        var name: String
        var fileName: String?
        var data: [UInt8]
    }

    static func parse(_ body: [UInt8], boundary: String) throws -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var current = Part(name: "", fileName: nil, data: [])
        parser.onHeader = { name, value in
            guard name.lowercased() == "content-disposition" else { return }
            current.name = Self.parameter("name", in: value) ?? ""
            current.fileName = Self.parameter("filename", in: value)
        }
        parser.onBody = { buffer in current.data += buffer.readableBytesView }
        parser.onPartComplete = {
            parts.append(current)
            current = Part(name: "", fileName: nil, data: [])
        }
        try parser.execute(body)
        return parts
    }

    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }
}
