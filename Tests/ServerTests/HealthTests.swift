import CreditHubTestSupport
import CreditKernel
import Foundation
import Hummingbird
import HummingbirdTesting
import Ingestion
import Logging
import Metrics
import Prometheus
import Security
import Server
import Storage
import StoragePostgres
import Testing

@Suite("Health and metrics")
struct HealthTests {
    /// The application over `store`, with the platform's identity and pipeline around it. The
    /// readiness timeout is generous by default: a loaded test machine must not look like a dead store.
    static func application(store: any CreditStore, readyTimeout: Duration = .seconds(20), metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) throws -> some ApplicationProtocol {
        var generator = SystemRandomNumberGenerator()
        let keys = try NodeKeys(seed: Data((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        let audit = AuditLog(store: store, keys: keys, logger: TestStores.logger)
        let identity = IdentityService(store: store, keys: keys, audit: audit, configuration: SecurityConfiguration(bcryptCost: 4), logger: TestStores.logger)
        let collector = Collector(store: store, raw: RawStore(directory: Scratch.path("raw-health")), logger: TestStores.logger)
        return try buildApplication(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, readyTimeout: readyTimeout),
            dependencies: ApplicationDependencies(store: store, metrics: metrics, identity: identity, collection: collector),
            services: [],
            logger: TestStores.logger
        )
    }

    @Test("Live, ready and metrics answer on both stores", arguments: StoreBackend.allCases)
    func healthy(backend: StoreBackend) async throws {
        try await TestStores.withStore(backend) { store in
            try await Self.application(store: store).test(.router) { client in
                try await client.execute(uri: "/health/live", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/health/ready", method: .get) { response in
                    #expect(response.status == .ok)
                    let body = String(buffer: response.body)
                    #expect(body.contains(#""status":"ready""#))
                    #expect(body.contains(#""store":"\#(store.backendName)""#))
                    #expect(body.contains(#""schema_version":\#(store.latestSchemaVersion)"#))
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                }
            }
        }
    }

    /// The process-wide metrics backend, bootstrapped once as `credithub serve` does.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var metrics = PrometheusMetricsFactory(registry: registry)
        metrics.durationHistogramBuckets[CollectionMetrics.batchDurationLabel] = CollectionMetrics.batchDurationBuckets
        MetricsSystem.bootstrap(metrics)
        return registry
    }()

    @Test("Over a real socket, /metrics counts the rows collected by outcome and the batches by status")
    func collectionMetrics() async throws {
        let registry = Self.registry
        try await TestStores.withStore(.sqlite) { store in
            try await store.prepare(automaticMigration: true, logger: TestStores.logger)
            let raw = Scratch.path("raw")
            defer { try? FileManager.default.removeItem(atPath: raw) }
            let collector = Collector(store: store, raw: RawStore(directory: raw), logger: TestStores.logger)
            try await Self.application(store: store, metrics: registry).test(.live) { client in
                func scrape() async throws -> String {
                    try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                }
                // Other suites collect in this process too: a series can only have grown by at least this test's rows.
                func value(_ text: String, _ series: String) -> Double {
                    text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) } ?? 0
                }
                let before = try await scrape()
                let records = [
                    PenaltyRows.record(1), PenaltyRows.record(2), PenaltyRows.record(3, ["CF_XDR_MC": ""]), PenaltyRows.record(4, ["CF_JDRQ": "2023年5月6日"]),
                ]
                let acknowledgement = try await collector.submit(
                    Submission(
                        sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .interface, artefact: .bytes(Data(PenaltyRows.csv(records).utf8)),
                        fileName: "处罚.csv", submittedBy: "test"
                    )
                )
                #expect(try await collector.process(batchID: acknowledgement.batch).status == .completed)
                let after = try await scrape()
                for (outcome, rows) in [("accepted", 2.0), ("fixed", 1), ("rejected", 1)] {
                    let series = #"credithub_collection_rows_total{resource="admin_penalty",outcome="\#(outcome)"}"#
                    #expect(value(after, series) - value(before, series) >= rows, "\(series)")
                }
                let completed = #"credithub_collection_batches_total{resource="admin_penalty",status="completed"}"#
                #expect(value(after, completed) - value(before, completed) >= 1)
                #expect(after.contains(#"credithub_collection_batch_duration_seconds_bucket{resource="admin_penalty",le="3600.0"}"#), "the batch buckets reach an hour")
            }
        }
    }

    @Test("Over a real socket, /metrics counts the requests served")
    func metricsLive() async throws {
        let registry = Self.registry
        try await TestStores.withStore(.sqlite) { store in
            let application = try Self.application(store: store, metrics: registry)
            try await application.test(.live) { client in
                try await client.execute(uri: "/health/live", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    let text = String(buffer: response.body)
                    #expect(text.contains(#"hb_requests{http_route="/health/live",http_request_method="GET",http_response_status_code="200"}"#))
                    #expect(text.contains("http_server_request_duration_bucket"))
                }
            }
        }
    }

    @Test("Ready is 503 while PostgreSQL is stopped and 200 again after it restarts, without restarting CreditHub")
    func readinessFollowsPostgres() async throws {
        let cluster = try TemporaryPostgresCluster()
        defer { cluster.destroy() }
        let store = PostgresStore(configuration: try PostgresStore.configuration(url: cluster.url), logger: TestStores.logger)
        try await store.withRunning { store in
            _ = try await store.migrate()
            try await Self.application(store: store, readyTimeout: .seconds(2)).test(.live) { client in
                // A few attempts: the pool reconnects on demand, and on a loaded machine (the whole
                // suite runs in parallel on two cores) one answer can take longer than the 2 s allowed.
                func readiness() async throws -> HTTPResponse.Status {
                    var status: HTTPResponse.Status = .serviceUnavailable
                    for _ in 0..<20 where status != .ok {
                        status = try await client.execute(uri: "/health/ready", method: .get) { $0.status }
                        if status != .ok { try await Task.sleep(for: .milliseconds(500)) }
                    }
                    return status
                }
                #expect(try await readiness() == .ok)
                try cluster.stop()
                try await client.execute(uri: "/health/ready", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(String(buffer: response.body).contains("unavailable"))
                }
                try cluster.start()
                #expect(try await readiness() == .ok)
            }
        }
    }

    @Test("Ready is 503 when the database cannot be reached at all")
    func unreachableDatabase() async throws {
        let port = try TemporaryPostgresCluster.freePortForTests()
        let store = PostgresStore(
            configuration: try PostgresStore.configuration(url: "postgres://nobody:secret@127.0.0.1:\(port)/none?sslmode=disable"),
            logger: TestStores.logger
        )
        try await store.withRunning { store in
            try await Self.application(store: store, readyTimeout: .milliseconds(500)).test(.router) { client in
                try await client.execute(uri: "/health/ready", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(!String(buffer: response.body).contains("secret"))
                }
            }
        }
    }
}
