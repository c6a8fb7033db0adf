import CreditKernel
import Foundation
import Hummingbird
import Logging

/// Turns errors into JSON a client can act on: `{"error": {"code": "…", "message": "…"}}` (and
/// `message_zh` where the error has a Chinese message) with a fitting status. Unexpected errors become a 500 that names the request id, never a stack trace;
/// the server's own failures (5xx) are logged with their reason and answered with the request id.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as CreditHubError {
            let status = Self.status(for: error.code)
            var message = error.message
            if status.kind == .serverError {
                // The reason (a path, the system's error) is for the operators, not the client.
                context.logger.error("request failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
                message = Self.serverFailure(context)
            }
            if request.headers[.accept]?.contains("text/html") == true {
                return Self.page(status: status, message: error.chineseMessage.map { "\($0) / \(message)" } ?? message)
            }
            return Self.response(status: status, code: error.code, message: message, chineseMessage: error.chineseMessage)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Self.response(status: .internalServerError, code: "internal_error", message: Self.serverFailure(context))
        }
    }

    /// What a client is told when the server failed: the request id, by which the operators find
    /// the reason in the log.
    static func serverFailure(_ context: Context) -> String {
        "the server could not complete the request; try again later, and quote request id \(context.id) to the operators if it persists"
    }

    /// Status by error code; codes not listed are client errors (400).
    static func status(for code: String) -> HTTPResponse.Status {
        switch code {
        case "unauthenticated", "expired_session": .unauthorized
        case _ where code.hasPrefix("signature_"): .unauthorized
        case "forbidden", "not_permitted", "csrf": .forbidden
        case "batch_not_found", "unknown_resource", "conflict_not_found", "not_found": .notFound
        case "conflict_resolved", "already_exists", "separation_of_duties": .conflict
        case "payload_too_large": .contentTooLarge
        case "timeout", "store_unavailable", "raw_store_write_failed": .serviceUnavailable
        default: .badRequest
        }
    }

    /// A plain page for people in a browser.
    static func page(status: HTTPResponse.Status, message: String) -> Response {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        let html = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>\(status.code)</title><link rel=\"stylesheet\" href=\"/static/console.css\"><main><h1>\(status.code) \(status.reasonPhrase)</h1><p class=\"error\">\(escaped)</p><p><a href=\"/\">返回首页 Home</a></p></main></html>"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func response(status: HTTPResponse.Status, code: String, message: String, chineseMessage: String? = nil) -> Response {
        var error = ["code": code, "message": message]
        error["message_zh"] = chineseMessage
        let body = ["error": error]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
