import Configuration

/// How the HTTP server listens.
///
/// Keys (environment variables take the `CREDITHUB_` prefix):
/// - `http.host` (`CREDITHUB_HTTP_HOST`): address to bind, default `127.0.0.1`.
/// - `http.port` (`CREDITHUB_HTTP_PORT`): port, default `8080`; `0` picks a free port.
/// - `health.ready-timeout-ms` (`CREDITHUB_HEALTH_READY_TIMEOUT_MS`): how long `/health/ready`
///   waits for the store before answering 503, default `2000`.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var readyTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 8080, readyTimeout: Duration = .seconds(2)) {
        self.host = host
        self.port = port
        self.readyTimeout = readyTimeout
    }

    public init(reader: ConfigReader) {
        self.init(
            host: reader.string(forKey: "http.host", default: "127.0.0.1"),
            port: reader.int(forKey: "http.port", default: 8080),
            readyTimeout: .milliseconds(reader.int(forKey: "health.ready-timeout-ms", default: 2000))
        )
    }
}
