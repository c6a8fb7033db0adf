import CreditHubTestSupport
import CreditKernel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingestion
import InterfaceAdapter
import Prometheus
import Server
import Storage
import Testing

/// The interface adapter over a real socket, with the ingestion worker running.
@Suite("Interface adapter over HTTP")
struct InterfaceHTTPTests {
    static func withServer(_ backend: StoreBackend, development: Bool = true, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestPlatform.with(backend, development: development) { platform in
            try await platform.application().test(.live) { client in try await body(client) }
        }
    }

    static let unit: HTTPFields = [DevelopmentIdentity.unitHeader: PenaltyRows.submitter]

    /// A submission's status once it has a result. The live client gives up after 20 seconds, which
    /// a loaded test machine can take to process even a small batch, so a submission waits at most
    /// 10 (`wait=10`) and the status is then asked for until the batch is done.
    static func finished(_ client: any TestClientProtocol, batch: String) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(300)
        while true {
            let body = try await client.execute(uri: "/api/v1/submissions/\(batch)", method: .get, headers: unit) { try json($0.body) }
            if ["completed", "failed"].contains(body["status"] as? String ?? "") || ContinuousClock.now > deadline { return body }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    static func multipart(fields: [(String, String)], fileName: String, file: [UInt8], boundary: String = "----credithub-test") -> ByteBuffer {
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
        body += file
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: body)
    }

    @Test("Multipart upload of a GB18030 file, then status, receipt and rejected rows", arguments: StoreBackend.allCases)
    func multipartUpload(backend: StoreBackend) async throws {
        try await Self.withServer(backend) { client in
            let csv = SampleCodes.gb18030(PenaltyRows.csv([PenaltyRows.record(1), PenaltyRows.record(2, ["CF_WSH": ""]), PenaltyRows.record(3), PenaltyRows.record(4)]))
            var headers = Self.unit
            headers[.contentType] = "multipart/form-data; boundary=----credithub-test"
            let batch = try await client.execute(
                uri: "/api/v1/submissions?wait=10", method: .post, headers: headers,
                body: Self.multipart(fields: [("resource", "admin_penalty")], fileName: "行政处罚.csv", file: csv)
            ) { response in
                // 200 with the result, or 202 while it is still being processed.
                #expect(response.status == .ok || response.status == .accepted)
                #expect(response.headers[.location]?.hasPrefix("/api/v1/submissions/B") == true)
                return try #require(try Self.json(response.body)["batch"] as? String)
            }
            let result = try await Self.finished(client, batch: batch)
            #expect(result["status"] as? String == "completed")
            #expect(result["file_name"] as? String == "行政处罚.csv")
            #expect((result["rows"] as? [String: Int])?["rejected"] == 1)
            try await client.execute(uri: "/api/v1/submissions/\(batch)", method: .get, headers: Self.unit) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["processed_rows"] as? Int == 4)
            }
            try await client.execute(uri: "/api/v1/submissions/\(batch)/receipt", method: .get, headers: Self.unit) { response in
                #expect(response.status == .ok)
                let receipt = try Self.json(response.body)
                #expect(receipt["encoding"] as? String == "gb18030")
                let problems = try #require(receipt["problems"] as? [[String: Any]])
                #expect(problems.first?["row"] as? Int == 2)
                #expect(problems.first?["status"] as? String == "rejected")
            }
            try await client.execute(uri: "/api/v1/submissions/\(batch)/rejected.csv", method: .get, headers: Self.unit) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(String(buffer: response.body).contains("「行政处罚决定书文号」为必填项"))
            }
            try await client.execute(uri: "/api/v1/submissions", method: .get, headers: Self.unit) { response in
                let body = try Self.json(response.body)
                #expect((body["submissions"] as? [Any])?.count == 1)
            }
            // Another unit cannot see the batch.
            try await client.execute(uri: "/api/v1/submissions/\(batch)/receipt", method: .get, headers: [DevelopmentIdentity.unitHeader: PenaltyRows.dataBureau]) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("A raw CSV body and a JSON body; Idempotency-Key returns the same batch", arguments: StoreBackend.allCases)
    func rawAndJSON(backend: StoreBackend) async throws {
        try await Self.withServer(backend) { client in
            var csvHeaders = Self.unit
            csvHeaders[.contentType] = "text/csv; charset=utf-8"
            let csvBatch = try await client.execute(
                uri: "/api/v1/submissions?resource=admin_penalty&wait=10", method: .post, headers: csvHeaders,
                body: ByteBuffer(string: PenaltyRows.csv([PenaltyRows.record(1)]))
            ) { response in
                #expect(response.status == .ok || response.status == .accepted)
                return try #require(try Self.json(response.body)["batch"] as? String)
            }
            #expect((try await Self.finished(client, batch: csvBatch)["rows"] as? [String: Int])?["accepted"] == 1)
            var jsonHeaders = Self.unit
            jsonHeaders[.contentType] = "application/json"
            jsonHeaders[HTTPField.Name("Idempotency-Key")!] = "order-42"
            let body = try JSONSerialization.data(withJSONObject: ["records": [PenaltyRows.record(7)]])
            let first = try await client.execute(uri: "/api/v1/submissions?resource=admin_penalty&wait=10", method: .post, headers: jsonHeaders, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok || response.status == .accepted)
                let json = try Self.json(response.body)
                #expect(json["existing"] as? Bool == false)
                return json["batch"] as? String
            }
            try await client.execute(uri: "/api/v1/submissions?resource=admin_penalty", method: .post, headers: jsonHeaders, body: ByteBuffer(bytes: body)) { response in
                let json = try Self.json(response.body)
                #expect(json["batch"] as? String == first)
                #expect(json["existing"] as? Bool == true)
            }
        }
    }

    @Test("Bad requests get a code and a message, never a crash", arguments: StoreBackend.allCases)
    func errors(backend: StoreBackend) async throws {
        try await Self.withServer(backend) { client in
            try await client.execute(uri: "/api/v1/submissions", method: .post, headers: Self.unit, body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .badRequest)
                let error = try Self.json(response.body)["error"] as? [String: String]
                #expect(error?["code"] == "bad_request")
            }
            try await client.execute(uri: "/api/v1/submissions?resource=nothing", method: .post, headers: Self.unit, body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/submissions?resource=admin_penalty", method: .post, headers: [DevelopmentIdentity.unitHeader: "123"], body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .badRequest)
                let error = try Self.json(response.body)["error"] as? [String: String]
                #expect(error?["code"] == "invalid_source_unit")
            }
            var tooBig = Self.unit
            tooBig[.contentType] = "text/csv"
            try await client.execute(
                uri: "/api/v1/submissions?resource=admin_penalty", method: .post, headers: tooBig, body: ByteBuffer(bytes: [UInt8](repeating: 0x41, count: (1 << 20) + 10))
            ) { response in
                #expect(response.status == .contentTooLarge)
            }
            try await client.execute(uri: "/api/v1/submissions/B-none", method: .get, headers: Self.unit) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("When the raw store cannot keep a file, the submitter is told to try later (503) and nothing is recorded", arguments: StoreBackend.allCases)
    func rawStoreFailure(backend: StoreBackend) async throws {
        try await TestPlatform.with(backend, development: true) { platform in
            // A file where the raw store's directory belongs: as a full or read-only volume, nothing can be written.
            #expect(FileManager.default.createFile(atPath: platform.raw, contents: Data()))
            try await platform.application().test(.live) { client in
                var headers = Self.unit
                headers[.contentType] = "text/csv"
                // Kept small: a loaded test machine streams a large body to the in-process server
                // slower than the test client waits. A form of any size used to hang (below).
                let rows = PenaltyRows.csv((1...20).map { PenaltyRows.record($0) })
                try await client.execute(
                    uri: "/api/v1/submissions?resource=admin_penalty&wait=30", method: .post, headers: headers,
                    body: ByteBuffer(string: rows)
                ) { response in
                    #expect(response.status == .serviceUnavailable)
                    let error = try #require(try Self.json(response.body)["error"] as? [String: String])
                    #expect(error["code"] == "raw_store_write_failed")
                    #expect(error["message_zh"]?.contains("稍后重试") == true)
                    #expect(error["message"]?.contains(platform.raw) == false, "server paths stay in the log")
                }
                // The same through a form: its reader waited for ever to hand the file on.
                headers[.contentType] = "multipart/form-data; boundary=----credithub-test"
                try await client.execute(
                    uri: "/api/v1/submissions?wait=30", method: .post, headers: headers,
                    body: Self.multipart(fields: [("resource", "admin_penalty")], fileName: "行政处罚.csv", file: Array(rows.utf8))
                ) { response in
                    #expect(response.status == .serviceUnavailable)
                    let error = try #require(try Self.json(response.body)["error"] as? [String: String])
                    #expect(error["code"] == "raw_store_write_failed")
                }
                try await client.execute(uri: "/api/v1/submissions", method: .get, headers: Self.unit) { response in
                    let submissions = try Self.json(response.body)["submissions"] as? [Any]
                    #expect(submissions?.isEmpty == true)
                }
            }
        }
    }

    @Test("A client that asks before sending a large body (Expect: 100-continue, as curl does) is told to go on at once")
    func expectContinue() async throws {
        let file = Scratch.path("large", ".csv")
        defer { try? FileManager.default.removeItem(atPath: file) }
        // curl asks on its own only past 1 MB, more than the test platform accepts: asked for here.
        try PenaltyRows.csv((1...500).map { PenaltyRows.record($0) }).write(toFile: file, atomically: true, encoding: .utf8)
        try await TestPlatform.with(.sqlite, development: true) { platform in
            try await platform.application().test(.live) { client in
                // Without the answer curl would wait out this timeout and then send anyway.
                let upload = try ChildProcess(
                    "/usr/bin/curl",
                    [
                        "-sS", "-v", "--expect100-timeout", "600", "-H", "Expect: 100-continue", "-H", "Content-Type: text/csv",
                        "-H", "\(DevelopmentIdentity.unitHeader.rawName): \(PenaltyRows.submitter)", "--data-binary", "@\(file)",
                        "http://127.0.0.1:\(try #require(client.port))/api/v1/submissions?resource=admin_penalty",
                    ]
                )
                #expect(await upload.wait() == 0, "\(upload.errorOutput)")
                #expect(upload.errorOutput.contains("< HTTP/1.1 100 Continue"), "\(upload.errorOutput)")
                #expect(upload.errorOutput.contains("< HTTP/1.1 202 Accepted") || upload.errorOutput.contains("< HTTP/1.1 200 OK"))
                #expect(upload.output.contains("\"batch\":\"B"), "\(upload.output)")
            }
        }
    }

    @Test("Without development mode, the source-unit header is refused")
    func noDevelopmentMode() async throws {
        try await Self.withServer(.sqlite, development: false) { client in
            try await client.execute(uri: "/api/v1/submissions?resource=admin_penalty", method: .post, headers: Self.unit, body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}
