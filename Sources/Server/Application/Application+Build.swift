import CreditKernel
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import Security
import ServiceLifecycle
import Storage

/// What the HTTP application needs from the process that runs it.
public struct ApplicationDependencies: Sendable {
    public var store: any CreditStore
    /// Where `/metrics` reads from: the registry behind the process's `MetricsSystem`.
    public var metrics: PrometheusCollectorRegistry
    public var identity: IdentityService
    public var collection: any CollectionService
    /// Routes contributed by adapters the executable wires in.
    public var routes: [@Sendable (RecordingRouter) -> Void]

    public init(
        store: any CreditStore, metrics: PrometheusCollectorRegistry, identity: IdentityService, collection: any CollectionService,
        routes: [@Sendable (RecordingRouter) -> Void] = []
    ) {
        self.store = store
        self.metrics = metrics
        self.identity = identity
        self.collection = collection
        self.routes = routes
    }
}

/// Registers routes on the router and remembers each, so the access policy can be checked
/// against every route that exists.
public struct RecordingRouter: RouterMethods {
    public typealias Context = CreditRequestContext
    let router: Router<CreditRequestContext>
    let recorded: NIOLockedValueBox<[String]>

    @discardableResult
    public func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self where Responder.Context == Context {
        recorded.withLockedValue { $0.append("\(method.rawValue) \(path.description)") }
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    public func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// Every route registered, as `METHOD /path/{parameter}`.
    public var routes: [String] { recorded.withLockedValue { $0 } }
}

/// Builds the router with every CreditHub route, returning it and the list of routes.
public func buildRouter(_ dependencies: ApplicationDependencies, configuration: ServerConfiguration) throws -> (router: Router<CreditRequestContext>, routes: [String]) {
    let router = Router(context: CreditRequestContext.self)
    router.addMiddleware {
        LogRequestsMiddleware(.debug)
        MetricsMiddleware()
        APIErrorMiddleware()
        SecurityMiddleware(identity: dependencies.identity, development: configuration.developmentMode)
    }
    let recording = RecordingRouter(router: router, recorded: NIOLockedValueBox([]))
    HealthRoutes(store: dependencies.store, readyTimeout: configuration.readyTimeout, metrics: dependencies.metrics).register(on: recording)
    try ConsoleRoutes(
        identity: dependencies.identity, collection: dependencies.collection, store: dependencies.store,
        secureCookies: dependencies.identity.configuration.secureCookies
    ).register(on: recording)
    for register in dependencies.routes { register(recording) }
    return (router, recording.routes)
}

/// Builds the application: the router, the listener and the long-running services (the store's
/// connection pool among them) in one `ServiceGroup`.
public func buildApplication(
    configuration: ServerConfiguration,
    dependencies: ApplicationDependencies,
    services: [any Service],
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> Application<RouterResponder<CreditRequestContext>> {
    Application(
        router: try buildRouter(dependencies, configuration: configuration).router,
        server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "CreditHub"),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}
