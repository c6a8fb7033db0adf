import ArgumentParser
import Configuration
import CreditKernel
import Ingestion
import InterfaceAdapter
import Logging
import Metrics
import Prometheus
import Security
import Server
import ServiceLifecycle
import Storage

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the CreditHub server until SIGTERM or SIGINT.",
        discussion: """
            On first start with an empty store the schema is created and the default catalogue loaded. \
            /health/live, /health/ready and /metrics are served for orchestrators and Prometheus.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to listen on (key http.host, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (key http.port, default 8080).")
    var port: Int?

    @Flag(help: "Development mode: accept X-CreditHub-Source-Unit instead of authentication (key server.development).")
    var development = false

    func run() async throws {
        var extra: [AbsoluteConfigKey: ConfigValue] = [:]
        if let host { extra[AbsoluteConfigKey(["http", "host"])] = .init(.string(host), isSecret: false) }
        if let port { extra[AbsoluteConfigKey(["http", "port"])] = .init(.int(port), isSecret: false) }
        if development { extra[AbsoluteConfigKey(["server", "development"])] = .init(.bool(true), isSecret: false) }
        let reader = try await global.reader(extra: extra)
        let logger = LoggingSetup.bootstrap(reader: reader)
        let registry = PrometheusCollectorRegistry()
        var metrics = PrometheusMetricsFactory(registry: registry)
        metrics.durationHistogramBuckets[CollectionMetrics.batchDurationLabel] = CollectionMetrics.batchDurationBuckets
        MetricsSystem.bootstrap(metrics)

        let storeConfiguration = StoreConfiguration(reader: reader)
        let serverConfiguration = ServerConfiguration(reader: reader)
        let securityConfiguration = SecurityConfiguration(reader: reader)
        let keys = try securityConfiguration.keys(dataDirectory: storeConfiguration.dataDirectory)
        let store = try storeConfiguration.open(logger: logger)
        logger.info("starting CreditHub", metadata: ["version": "\(CreditHubVersion.current)", "store": "\(storeConfiguration.redactedDescription)"])

        let audit = AuditLog(
            store: store, keys: keys, logger: logger, checkpointEvery: securityConfiguration.checkpointEntries, checkpointInterval: securityConfiguration.checkpointInterval
        )
        let identity = IdentityService(store: store, keys: keys, audit: audit, configuration: securityConfiguration, logger: logger)
        let collector = Collector(
            store: store, raw: RawStore(directory: storeConfiguration.rawDirectory), configuration: IngestionConfiguration(reader: reader), audit: audit, logger: logger
        )
        // The store is prepared (migrated, catalogue loaded) before the server listens, by which
        // time PostgreSQL's client must already be running: the services that read the store wait.
        let storeReady = Latch()
        let services: [any Service] = [
            store,
            IngestionWorker(collector: collector, storeReady: storeReady, logger: logger),
            ThemeProjector(store: store, storeReady: storeReady, wakeUps: collector.commits.stream, logger: logger),
            AuditCheckpointService(log: audit, interval: securityConfiguration.checkpointInterval),
            SessionJanitor(identity: identity),
        ]
        if serverConfiguration.developmentMode {
            logger.warning("development mode: requests naming a unit in X-CreditHub-Source-Unit act as its provider system without authentication")
        }
        let interface = InterfaceAdapter<CreditRequestContext>(collection: collector, maximumUploadBytes: serverConfiguration.maximumUploadBytes) { _, context in
            guard let principal = context.principal else { throw CreditHubError(code: "unauthenticated", message: "sign the request (docs/api-auth.md)") }
            return Submitter(unitCode: principal.unit.code, actor: principal.name, auditActor: principal.auditActor)
        }
        var application = try buildApplication(
            configuration: serverConfiguration,
            dependencies: ApplicationDependencies(store: store, metrics: registry, identity: identity, collection: collector, routes: [{ interface.register(on: $0) }]),
            services: services,
            logger: logger
        )
        let automaticMigration = storeConfiguration.automaticMigration
        application.beforeServerStarts {
            try await store.prepare(automaticMigration: automaticMigration, logger: logger)
            storeReady.raise()
            for warning in PlatformChannels.unservedResourceWarnings(try await store.catalogue.currentResources().map(\.resource)) {
                logger.warning("\(warning.message)", metadata: ["resource": "\(warning.resource)"])
            }
            try await audit.record(AuditRecord(actor: .platform, action: "server.start", target: CreditHubVersion.current, details: ["store": storeConfiguration.redactedDescription]))
            if let (username, password) = try await identity.bootstrap() {
                // Printed once, to the operator starting the platform; it must be changed at first sign-in.
                logger.notice(
                    "first start: created the platform administrator; sign in at /login, then set a new password and enrol a one-time code",
                    metadata: ["username": "\(username)", "one_time_password": "\(password)"]
                )
            }
        }
        try await application.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring the store's schema up to date and load the default catalogue into an empty store."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let reader = try await global.reader()
        let logger = LoggingSetup.bootstrap(reader: reader)
        var storeConfiguration = StoreConfiguration(reader: reader)
        storeConfiguration.automaticMigration = true
        let outcome = try await storeConfiguration.withPreparedStore(logger: logger, prepare: false) { store in
            let outcome = try await store.migrate()
            try await store.prepare(automaticMigration: false, logger: logger)
            return outcome
        }
        if outcome.applied.isEmpty {
            print("schema is up to date at version \(outcome.toVersion) (\(storeConfiguration.redactedDescription))")
        } else {
            print("migrated \(storeConfiguration.redactedDescription) from version \(outcome.fromVersion) to \(outcome.toVersion): \(outcome.applied.joined(separator: ", "))")
        }
    }
}
