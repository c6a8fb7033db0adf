import AsyncHTTPClient
import CreditHubTestSupport
import Foundation
import NIOCore
import NIOFoundationCompat

/// A headless Chromium driven over the W3C WebDriver protocol by Debian's `chromedriver`.
struct WebDriver: Sendable {
    let base: String
    let session: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts chromedriver and a headless browser session, runs `body`, and stops both.
    static func with<Result: Sendable>(_ body: @Sendable (WebDriver) async throws -> Result) async throws -> Result {
        guard let driverPath = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw Failure(description: "chromedriver is not installed: `scripts/install-deps.sh test` installs chromium-driver")
        }
        let port = try TemporaryPostgresCluster.freePortForTests()
        // The browser's profile goes to the scratch directory, which outlives a browser killed mid-test.
        let driver = try ChildProcess(driverPath, ["--port=\(port)"], environment: ["TMPDIR": Scratch.root])
        // Reaped by the ChildProcess's deinit, which waits only for a killed program.
        defer { driver.signal(SIGKILL) }
        let base = "http://127.0.0.1:\(port)"
        // Wait for the driver to listen.
        var ready = false
        for _ in 0..<100 where !ready {
            ready = ((try? await send("GET", "\(base)/status")) as? [String: Any])?["ready"] as? Bool == true
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else { throw Failure(description: "chromedriver did not start: \(driver.output) \(driver.errorOutput)") }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "timeouts": ["pageLoad": 20000, "script": 20000],
                    "goog:chromeOptions": [
                        "binary": "/usr/bin/chromium",
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"],
                    ] as [String: Any],
                ] as [String: Any]
            ]
        ]
        let created = try await send("POST", "\(base)/session", capabilities) as? [String: Any]
        guard let session = created?["sessionId"] as? String else { throw Failure(description: "no browser session: \(created ?? [:])") }
        let webDriver = WebDriver(base: base, session: session)
        do {
            let result = try await body(webDriver)
            _ = try? await send("DELETE", "\(base)/session/\(session)")
            return result
        } catch {
            _ = try? await send("DELETE", "\(base)/session/\(session)")
            throw error
        }
    }

    /// One WebDriver command; returns the answer's `value`, throwing the error it reports.
    @discardableResult
    static func send(_ method: String, _ url: String, _ body: [String: Any]? = nil) async throws -> Any? {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 16 << 20)
        let value = (try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any])?["value"]
        if let object = value as? [String: Any], let error = object["error"] as? String {
            throw Failure(description: "\(method) \(url): \(error): \(object["message"] ?? "")")
        }
        return value
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.send(method, "\(base)/session/\(session)\(path)", body ?? (method == "POST" ? [:] : nil))
    }

    func open(_ url: String) async throws {
        try await command("POST", "/url", ["url": url])
    }

    var url: String {
        get async throws { try await command("GET", "/url") as? String ?? "" }
    }

    /// Waits (up to ten seconds) for the browser to show `expected`, since a click that submits a
    /// form returns before the answer's redirect has been followed.
    func arrive(at expected: String) async throws -> Bool {
        for _ in 0..<100 {
            if try await url == expected, try await command("POST", "/execute/sync", ["script": "return document.readyState", "args": []]) as? String == "complete" {
                return true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The visible text of the page.
    var text: String {
        get async throws {
            let body = try await element("body")
            return try await command("GET", "/element/\(body)/text") as? String ?? ""
        }
    }

    func element(_ css: String) async throws -> String {
        let value = try await command("POST", "/element", ["using": "css selector", "value": css]) as? [String: Any]
        guard let id = value?.values.first as? String else { throw Failure(description: "no element \(css)") }
        return id
    }

    func type(_ css: String, _ text: String) async throws {
        try await command("POST", "/element/\(try await element(css))/value", ["text": text])
    }

    func click(_ css: String) async throws {
        try await command("POST", "/element/\(try await element(css))/click")
    }
}
