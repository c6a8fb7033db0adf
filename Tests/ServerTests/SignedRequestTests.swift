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

/// Systems calling the API with signed requests, on both stores.
@Suite("Signed API requests")
struct SignedRequestTests {
    /// Status and error code of an answer.
    static func outcome(_ response: TestResponse) -> (HTTPResponse.Status, String?) {
        let body = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return (response.status, (body?["error"] as? [String: Any])?["code"] as? String)
    }

    @Test("Valid, replayed, skewed, tampered, revoked and unknown signatures", arguments: StoreBackend.allCases)
    func refusals(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let (system, keyID, secret) = try await platform.system("tax", roles: [.providerSystem])
            let path = "/api/v1/submissions"
            try await platform.application().test(.router) { client in
                let valid = platform.signedHeaders(keyID: keyID, secret: secret, method: "GET", path: path)
                #expect(try await client.execute(uri: path, method: .get, headers: valid, body: nil, testCallback: Self.outcome) == (.ok, nil))
                // The same nonce again: a replay.
                #expect(try await client.execute(uri: path, method: .get, headers: valid, testCallback: Self.outcome) == (.unauthorized, "signature_replayed_nonce"))

                // Clocks may differ by five minutes, not more.
                let slow = platform.signedHeaders(keyID: keyID, secret: secret, method: "GET", path: path, timestamp: platform.clock.now.addingTimeInterval(-290))
                #expect(try await client.execute(uri: path, method: .get, headers: slow, testCallback: Self.outcome).0 == .ok)
                for skew in [-301.0, 301] {
                    let skewed = platform.signedHeaders(keyID: keyID, secret: secret, method: "GET", path: path, timestamp: platform.clock.now.addingTimeInterval(skew))
                    #expect(try await client.execute(uri: path, method: .get, headers: skewed, testCallback: Self.outcome) == (.unauthorized, "signature_clock_skew"))
                }

                // Signed for one query, sent with another.
                let signedQuery = platform.signedHeaders(keyID: keyID, secret: secret, method: "GET", path: path, query: "limit=5")
                #expect(try await client.execute(uri: "\(path)?limit=500", method: .get, headers: signedQuery, testCallback: Self.outcome) == (.unauthorized, "signature_mismatch"))
                // Query parameters are signed sorted, so their order does not matter.
                let sorted = platform.signedHeaders(keyID: keyID, secret: secret, method: "GET", path: path, query: "b=2&a=1")
                #expect(try await client.execute(uri: "\(path)?a=1&b=2", method: .get, headers: sorted, testCallback: Self.outcome).0 == .ok)
                // A wrong secret.
                let forged = platform.signedHeaders(keyID: keyID, secret: "not-the-secret", method: "GET", path: path)
                #expect(try await client.execute(uri: path, method: .get, headers: forged, testCallback: Self.outcome) == (.unauthorized, "signature_mismatch"))
                // Missing headers, an unknown key.
                var partial = platform.signedHeaders(keyID: keyID, secret: secret, method: "GET", path: path)
                partial[HTTPField.Name(RequestSignature.nonceHeader)!] = nil
                #expect(try await client.execute(uri: path, method: .get, headers: partial, testCallback: Self.outcome) == (.unauthorized, "signature_missing_headers"))
                let unknown = platform.signedHeaders(keyID: "ck_nobody", secret: secret, method: "GET", path: path)
                #expect(try await client.execute(uri: path, method: .get, headers: unknown, testCallback: Self.outcome) == (.unauthorized, "signature_unknown_key"))

                // Rotation: a second credential works; once the first is revoked it is refused.
                let (admin, _) = try await platform.person("rotator", roles: [.securityOfficer])
                let principal = Principal.person(admin, unit: try await platform.unit())
                let rotated = try await platform.identity.issueCredential(systemID: system.id, by: principal, sourceIP: "127.0.0.1")
                try await platform.identity.revokeCredential(keyID: keyID, by: principal, sourceIP: "127.0.0.1")
                let revoked = platform.signedHeaders(keyID: keyID, secret: secret, method: "GET", path: path)
                #expect(try await client.execute(uri: path, method: .get, headers: revoked, testCallback: Self.outcome) == (.unauthorized, "signature_revoked_key"))
                let current = platform.signedHeaders(keyID: rotated.keyID, secret: rotated.secret, method: "GET", path: path)
                #expect(try await client.execute(uri: path, method: .get, headers: current, testCallback: Self.outcome).0 == .ok)
            }
            let refusals = try await platform.store.audit.search(AuditQuery(action: "api.authenticate")).filter { $0.outcome == .denied }
            #expect(refusals.count == 8)
            #expect(refusals.contains { $0.details.contains("signature_replayed_nonce") })
        }
    }

    @Test("A body that differs from its signed digest is refused and not accepted", arguments: StoreBackend.allCases)
    func bodyDigest(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let unit = try await platform.unit()
            let (_, keyID, secret) = try await platform.system("court", roles: [.providerSystem], unit: unit)
            let path = "/api/v1/submissions"
            let query = "resource=admin_penalty&wait=30"
            let declared = Array(PenaltyRows.csv([PenaltyRows.record(1)]).utf8)
            let sent = Array(PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2)]).utf8)
            try await platform.application().test(.router) { client in
                var headers = platform.signedHeaders(keyID: keyID, secret: secret, method: "POST", path: path, query: query, body: declared)
                headers[.contentType] = "text/csv; charset=utf-8"
                let tampered = try await client.execute(uri: "\(path)?\(query)", method: .post, headers: headers, body: ByteBuffer(bytes: sent), testCallback: Self.outcome)
                #expect(tampered == (.unauthorized, "signature_body_digest_mismatch"))

                var honest = platform.signedHeaders(keyID: keyID, secret: secret, method: "POST", path: path, query: query, body: sent)
                honest[.contentType] = "text/csv; charset=utf-8"
                let accepted = try await client.execute(uri: "\(path)?\(query)", method: .post, headers: honest, body: ByteBuffer(bytes: sent)) { response in
                    #expect(response.status == .ok)
                    return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                }
                #expect((accepted["rows"] as? [String: Int])?["accepted"] == 2)
            }
            // Only the honest upload became a batch, and the tampered one is on the audit record.
            #expect(try await platform.store.collection.batches(sourceUnit: unit.code, limit: 10).count == 1)
            let refusals = try await platform.store.audit.search(AuditQuery(action: "api.authenticate")).filter { $0.outcome == .denied }
            #expect(refusals.count == 1)
            #expect(refusals.first?.details.contains("signature_body_digest_mismatch") == true)
            #expect(refusals.first?.actor.unit == unit.code)
            #expect(refusals.first?.actor.id.hasSuffix("/\(keyID)") == true)
        }
    }

    @Test("A provider system sees only its own unit's submissions", arguments: StoreBackend.allCases)
    func ownUnitOnly(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend) { platform in
            let own = try await platform.unit()
            let other = try await platform.unit("00250199", name: "杭州市大数据局")
            let (_, ownKey, ownSecret) = try await platform.system("market", roles: [.providerSystem], unit: own)
            let (_, otherKey, otherSecret) = try await platform.system("bureau", roles: [.providerSystem], unit: other)
            let path = "/api/v1/submissions"
            let query = "resource=admin_penalty&wait=30"
            let body = Array(PenaltyRows.csv([PenaltyRows.record(1)]).utf8)
            try await platform.application().test(.router) { client in
                var headers = platform.signedHeaders(keyID: ownKey, secret: ownSecret, method: "POST", path: path, query: query, body: body)
                headers[.contentType] = "text/csv"
                let batch = try await client.execute(uri: "\(path)?\(query)", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])["batch"] as? String
                }
                let id = try #require(batch)
                for suffix in ["", "/receipt", "/rejected.csv"] {
                    let mine = platform.signedHeaders(keyID: ownKey, secret: ownSecret, method: "GET", path: "\(path)/\(id)\(suffix)")
                    #expect(try await client.execute(uri: "\(path)/\(id)\(suffix)", method: .get, headers: mine, testCallback: Self.outcome).0 == .ok)
                    let theirs = platform.signedHeaders(keyID: otherKey, secret: otherSecret, method: "GET", path: "\(path)/\(id)\(suffix)")
                    #expect(try await client.execute(uri: "\(path)/\(id)\(suffix)", method: .get, headers: theirs, testCallback: Self.outcome).0 == .notFound)
                }
                let list = platform.signedHeaders(keyID: otherKey, secret: otherSecret, method: "GET", path: path)
                let listed = try await client.execute(uri: path, method: .get, headers: list) { response in
                    (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["submissions"] as? [Any]
                }
                #expect(listed?.isEmpty == true)
            }
        }
    }
}

/// The examples in docs/api-auth.md, run as a reader would run them.
@Suite("Signing examples")
struct SigningExampleTests {
    /// The fenced blocks of one language in a document.
    static func blocks(_ language: String, in document: String) -> [String] {
        document.components(separatedBy: "```\(language)\n").dropFirst().map { $0.components(separatedBy: "\n```").first ?? "" }
    }

    @Test("The signing examples in docs/api-auth.md work against a live server")
    func examples() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("docs/api-auth.md"), encoding: .utf8)
        let shell = try #require(Self.blocks("bash", in: document).first)
        let python = try #require(Self.blocks("python", in: document).first)
        let directory = URL(fileURLWithPath: Scratch.path("api-auth"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try shell.write(to: directory.appendingPathComponent("sign-and-send.sh"), atomically: true, encoding: .utf8)
        try python.write(to: directory.appendingPathComponent("credithub_upload.py"), atomically: true, encoding: .utf8)
        let csv = directory.appendingPathComponent("行政处罚.csv")
        try Data(SampleCodes.gb18030(PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2, ["CF_WSH": ""])]))).write(to: csv)

        try await TestPlatform.with(.sqlite) { platform in
            let (_, keyID, secret) = try await platform.system("examples", roles: [.providerSystem])
            try await platform.application().test(.live) { client in
                let environment = ["CREDITHUB_URL": "http://127.0.0.1:\(try #require(client.port))", "CREDITHUB_KEY_ID": keyID, "CREDITHUB_SECRET": secret]
                let upload = try ChildProcess("/usr/bin/python3", [directory.appendingPathComponent("credithub_upload.py").path, "admin_penalty", csv.path], environment: environment)
                #expect(await upload.wait() == 0, "\(upload.errorOutput)")
                let answer = try #require(try JSONSerialization.jsonObject(with: Data(upload.output.utf8)) as? [String: Any])
                #expect(answer["status"] as? String == "completed")
                #expect((answer["rows"] as? [String: Int])?["rejected"] == 1)
                let batch = try #require(answer["batch"] as? String)

                let list = try ChildProcess("/bin/bash", [directory.appendingPathComponent("sign-and-send.sh").path, "GET", "/api/v1/submissions?limit=5&status=completed"], environment: environment)
                #expect(await list.wait() == 0, "\(list.errorOutput)")
                #expect(list.output.contains(batch), "\(list.output)")

                let again = try ChildProcess(
                    "/bin/bash", [directory.appendingPathComponent("sign-and-send.sh").path, "POST", "/api/v1/submissions?wait=30&resource=admin_penalty", csv.path, "text/csv"],
                    environment: environment
                )
                #expect(await again.wait() == 0, "\(again.errorOutput)")
                #expect(again.output.contains("\"status\":\"completed\""), "\(again.output)")
            }
        }
    }
}
