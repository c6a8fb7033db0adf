import CreditKernel
import Foundation
import Hummingbird
import Logging
import Prometheus
import Storage

/// Liveness, readiness and metrics for orchestrators and Prometheus.
struct HealthRoutes: Sendable {
    let store: any CreditStore
    let readyTimeout: Duration
    let metrics: PrometheusCollectorRegistry

    func register(on router: some RouterMethods<CreditRequestContext>) {
        router.get("/health/live") { _, _ in
            HealthStatus(status: "live", store: nil, schemaVersion: nil, reason: nil)
        }
        router.get("/health/ready") { _, context in
            try await ready(logger: context.logger)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer()))
            )
        }
    }

    /// Ready when the store answers within the timeout; 503 otherwise, so a load balancer stops
    /// sending traffic while the database is down and resumes when it returns.
    private func ready(logger: Logger) async throws -> EditedResponse<HealthStatus> {
        let store = self.store
        do {
            let version = try await withTimeout(readyTimeout, "the store readiness check") {
                try await store.ping()
                return try await store.schemaVersion()
            }
            return EditedResponse(status: .ok, response: HealthStatus(status: "ready", store: store.backendName, schemaVersion: version, reason: nil))
        } catch {
            logger.warning("store not ready", metadata: ["store": "\(store.backendName)", "error": "\(String(reflecting: type(of: error)))"])
            return EditedResponse(
                status: .serviceUnavailable,
                response: HealthStatus(status: "unavailable", store: store.backendName, schemaVersion: nil, reason: "the \(store.backendName) store did not answer")
            )
        }
    }
}

struct HealthStatus: ResponseCodable {
    var status: String
    var store: String?
    var schemaVersion: Int?
    var reason: String?
}
