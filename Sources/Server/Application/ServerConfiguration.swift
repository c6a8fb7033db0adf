import Configuration

/// How the HTTP server listens.
///
/// Keys (environment variables take the `CREDITHUB_` prefix):
/// - `http.host` (`CREDITHUB_HTTP_HOST`): address to bind, default `127.0.0.1`.
/// - `http.port` (`CREDITHUB_HTTP_PORT`): port, default `8080`; `0` picks a free port.
/// - `health.ready-timeout-ms` (`CREDITHUB_HEALTH_READY_TIMEOUT_MS`): how long `/health/ready`
///   waits for the store before answering 503, default `2000`.
/// - `server.development` (`CREDITHUB_SERVER_DEVELOPMENT`, `serve --development`): accept the
///   `X-CreditHub-Source-Unit` header in place of authentication, for local testing only; default `false`.
/// - `interface.max-upload-mb` (`CREDITHUB_INTERFACE_MAX_UPLOAD_MB`): largest upload, default `512`.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var readyTimeout: Duration
    public var developmentMode: Bool
    public var maximumUploadBytes: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, readyTimeout: Duration = .seconds(2), developmentMode: Bool = false, maximumUploadBytes: Int = 512 << 20) {
        self.host = host
        self.port = port
        self.readyTimeout = readyTimeout
        self.developmentMode = developmentMode
        self.maximumUploadBytes = maximumUploadBytes
    }

    public init(reader: ConfigReader) {
        self.init(
            host: reader.string(forKey: "http.host", default: "127.0.0.1"),
            port: reader.int(forKey: "http.port", default: 8080),
            readyTimeout: .milliseconds(reader.int(forKey: "health.ready-timeout-ms", default: 2000)),
            developmentMode: reader.bool(forKey: "server.development", default: false),
            maximumUploadBytes: reader.int(forKey: "interface.max-upload-mb", default: 512) << 20
        )
    }
}
