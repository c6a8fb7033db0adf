import CreditHubTestSupport
import CreditKernel
import Foundation
import HummingbirdTesting
import Security
import Storage
import Testing

/// The console in a real headless Chromium: the first administrator's first sign-in (one-time
/// password, new password, TOTP enrolment), a later sign-in with a code, role-specific home pages,
/// and refusal of another role's page.
@Suite("Console in a browser", .serialized)
struct ConsoleBrowserTests {
    @Test("First sign-in, enrolment, a sign-in with a code, and another role's page refused")
    func firstAdministrator() async throws {
        try await TestPlatform.with(.sqlite) { platform in
            let (username, oneTime) = try #require(try await platform.identity.bootstrap())
            let (_, reviewerTOTP) = try await platform.person("reviewer1", roles: [.reviewer])
            try await platform.application().test(.live) { client in
                let site = "http://127.0.0.1:\(try #require(client.port))"
                try await WebDriver.with { browser in
                    // A page that needs signing in sends the browser to the sign-in form.
                    try await browser.open("\(site)/admin/people")
                    #expect(try await browser.arrive(at: "\(site)/login"))

                    try await browser.type("input[name=username]", username)
                    try await browser.type("input[name=password]", oneTime)
                    try await browser.click("button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/account/password"))

                    let password = "Lantern-Harbour-42"
                    try await browser.type("input[name=current]", oneTime)
                    try await browser.type("input[name=new]", password)
                    try await browser.type("input[name=confirm]", password)
                    try await browser.click("main button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/account/totp"))

                    // Enrol as a person would: read the secret off the page into an authenticator.
                    let secret = try await browser.command("GET", "/element/\(try await browser.element("#totp-secret"))/text") as? String ?? ""
                    let uri = try await browser.command("GET", "/element/\(try await browser.element("#totp-uri"))/text") as? String ?? ""
                    #expect(uri.hasPrefix("otpauth://totp/CreditHub:admin?secret=\(secret)"))
                    // The QR code of that URI is drawn, large enough to scan.
                    let qr = try await browser.command("GET", "/element/\(try await browser.element("#totp-qr svg"))/rect") as? [String: Any]
                    #expect((qr?["width"] as? Double ?? 0) >= 150)
                    let authenticator = TOTP(secret: try #require(Base32.decode(secret)))
                    try await browser.type("input[name=code]", authenticator.code(at: platform.clock.now))
                    try await browser.click("main button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/"))
                    let home = try await browser.text
                    #expect(home.contains("platform_admin"))
                    #expect(home.contains("人员 People") && home.contains("单位 Units"))
                    #expect(!home.contains("审计日志 Audit log"))

                    // The auditor's page is not the administrator's.
                    try await browser.open("\(site)/audit")
                    let refused = try await browser.text
                    #expect(refused.contains("403"))
                    #expect(refused.contains("readAudit"))

                    // Sign out, then sign in again with the password and the next code.
                    try await browser.open("\(site)/")
                    try await browser.click("header button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/login"))
                    platform.clock.advance(30)
                    try await browser.type("input[name=username]", username)
                    try await browser.type("input[name=password]", password)
                    try await browser.click("button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/login/code"))
                    try await browser.type("input[name=code]", authenticator.code(at: platform.clock.now))
                    try await browser.click("main button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/"))

                    // A reviewer signing in on the same browser sees a reviewer's home.
                    try await browser.click("header button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/login"))
                    try await browser.type("input[name=username]", "reviewer1")
                    try await browser.type("input[name=password]", "Correct-Horse-7!")
                    try await browser.click("button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/login/code"))
                    try await browser.type("input[name=code]", reviewerTOTP.code(at: platform.clock.now))
                    try await browser.click("main button[type=submit]")
                    #expect(try await browser.arrive(at: "\(site)/"))
                    let reviewerHome = try await browser.text
                    #expect(reviewerHome.contains("reviewer") && reviewerHome.contains("冲突队列 Conflicts"))
                    #expect(!reviewerHome.contains("人员 People"))
                    try await browser.open("\(site)/admin/people")
                    #expect(try await browser.text.contains("403"))
                }
            }
            let actions = try await platform.store.audit.search(AuditQuery(actor: "admin")).map(\.action)
            #expect(actions.contains("password.change") && actions.contains("totp.enrol") && actions.contains("login") && actions.contains("access"))
        }
    }
}
