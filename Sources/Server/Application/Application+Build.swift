import CreditKernel
import Hummingbird
import Logging
import NIOCore
import Logging
import Prometheus
import ServiceLifecycle
import Storage

/// What the HTTP application needs from the process that runs it.
public struct ApplicationDependencies: Sendable {
    public var store: any CreditStore
    /// Where `/metrics` reads from: the registry behind the process's `MetricsSystem`.
    public var metrics: PrometheusCollectorRegistry
    /// Routes contributed by adapters and other modules the executable wires in.
    public var routes: [@Sendable (Router<CreditRequestContext>) -> Void]

    public init(store: any CreditStore, metrics: PrometheusCollectorRegistry, routes: [@Sendable (Router<CreditRequestContext>) -> Void] = []) {
        self.store = store
        self.metrics = metrics
        self.routes = routes
    }
}

/// Builds the router with every CreditHub route.
public func buildRouter(_ dependencies: ApplicationDependencies, configuration: ServerConfiguration) -> Router<CreditRequestContext> {
    let router = Router(context: CreditRequestContext.self)
    router.addMiddleware {
        LogRequestsMiddleware(.debug)
        MetricsMiddleware()
        APIErrorMiddleware()
    }
    HealthRoutes(store: dependencies.store, readyTimeout: configuration.readyTimeout, metrics: dependencies.metrics).register(on: router)
    for register in dependencies.routes { register(router) }
    return router
}

/// Builds the application: the router, the listener and the long-running services (the store's
/// connection pool among them) in one `ServiceGroup`.
public func buildApplication(
    configuration: ServerConfiguration,
    dependencies: ApplicationDependencies,
    services: [any Service],
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> Application<RouterResponder<CreditRequestContext>> {
    Application(
        router: buildRouter(dependencies, configuration: configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "CreditHub"),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}
