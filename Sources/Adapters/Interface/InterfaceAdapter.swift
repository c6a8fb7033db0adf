import CreditKernel
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore

/// The interface adapter (接口): departments' business systems push files or JSON records over HTTP.
///
/// - `POST /api/v1/submissions?resource=ID` with a multipart form (`file`, optional `resource`,
///   `encoding`), a raw file body (`text/csv`, spreadsheet, `application/octet-stream`), JSON
///   (`{"records": […]}` or an array) or JSON Lines (`application/x-ndjson`). `Idempotency-Key` makes a
///   retried request return the same batch. `wait=SECONDS` (≤ 60) waits for the result.
/// - `GET /api/v1/submissions` lists the unit's batches; `GET /api/v1/submissions/{batch}` its state,
///   `…/receipt` the receipt, `…/rejected.csv` the rejected rows with a reason column.
///
/// Only the submitting unit sees its batches; others get 404, as if the batch did not exist.
public struct InterfaceAdapter<Context: RequestContext>: SourceAdapter {
    public static var descriptor: AdapterDescriptor {
        AdapterDescriptor(
            id: "interface", channel: .interface, name: "接口报送 / HTTP interface",
            summary: "Business systems push CSV, XLSX, JSON or JSON Lines to POST /api/v1/submissions."
        )
    }

    public typealias Authenticate = @Sendable (Request, Context) async throws -> Submitter

    let collection: any CollectionService
    let authenticate: Authenticate
    let maximumUploadBytes: Int

    public init(collection: any CollectionService, maximumUploadBytes: Int = 512 << 20, authenticate: @escaping Authenticate) {
        self.collection = collection
        self.maximumUploadBytes = maximumUploadBytes
        self.authenticate = authenticate
    }

    public func register(on router: some RouterMethods<Context>) {
        let group = router.group("api/v1/submissions")
        group.post(use: submit)
        group.get(use: list)
        group.get(":batch", use: status)
        group.get(":batch/receipt", use: receipt)
        group.get(":batch/rejected.csv", use: rejectedCSV)
    }

    // MARK: - Handlers

    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        let submitter = try await authenticate(request, context)
        let query = request.uri.queryParameters
        let contentType = request.headers[.contentType] ?? "application/octet-stream"
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let idempotencyKey = request.headers[HTTPField.Name("Idempotency-Key")!]
        let resource = query["resource"].map(String.init)
        var encoding = try query["encoding"].map { try Self.encoding(String($0)) }
        var format = try query["format"].map { try Self.format(String($0)) }
        let fileName = query["file_name"].map(String.init)
        let acknowledgement: Acknowledgement

        if mediaType == "multipart/form-data" {
            guard let boundary = Self.boundary(contentType) else {
                throw CreditHubError(code: "bad_request", message: "multipart/form-data without a boundary")
            }
            let upload = MultipartUpload(boundary: boundary, body: request.body, limit: maximumUploadBytes)
            let (queryResource, queryEncoding, queryFormat, queryFileName) = (resource, encoding, format, fileName)
            let collection = self.collection
            acknowledgement = try await upload.withFile { fields, file, name in
                // Form fields sent before the file complete what the query string did not say.
                guard let resource = queryResource ?? fields["resource"] else { throw Self.missingResource }
                let encoding = try fields["encoding"].map(Self.encoding) ?? queryEncoding
                let format = try fields["format"].map(Self.format) ?? queryFormat
                return try await collection.submit(
                    Submission(
                        sourceUnit: submitter.unitCode, resourceID: resource, channel: .interface, artefact: .stream(file),
                        fileName: queryFileName ?? name, format: format, declaredEncoding: encoding, idempotencyKey: idempotencyKey,
                        submittedBy: submitter.actor, actor: submitter.auditActor
                    )
                )
            }
        } else {
            guard let resource else { throw Self.missingResource }
            switch mediaType {
            case "application/json": format = format ?? .json
            case "application/x-ndjson", "application/jsonl", "application/json-seq": format = format ?? .jsonLines
            case "text/csv", "text/plain", "text/tab-separated-values": format = format ?? .csv
            case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": format = format ?? .xlsx
            default: break
            }
            if encoding == nil, let charset = Self.charset(contentType) { encoding = TextEncoding(label: charset) }
            acknowledgement = try await collection.submit(
                Submission(
                    sourceUnit: submitter.unitCode, resourceID: resource, channel: .interface,
                    artefact: .stream(LimitedBody(body: request.body, limit: maximumUploadBytes)), fileName: fileName, format: format,
                    declaredEncoding: encoding, idempotencyKey: idempotencyKey, submittedBy: submitter.actor, actor: submitter.auditActor
                )
            )
        }
        let wait = query["wait"].flatMap { Int($0) }.map { min(60, max(0, $0)) } ?? 0
        let summary = wait > 0
            ? try await collection.waitForCompletion(batch: acknowledgement.batch, timeout: .seconds(wait))
            : try await collection.summary(batch: acknowledgement.batch)
        guard let summary else { throw Self.notFound }
        let finished = summary.status == .completed || summary.status == .failed
        var response = try Self.json(SubmissionResponse(summary, existing: acknowledgement.existing), status: finished ? .ok : .accepted)
        response.headers[.location] = "/api/v1/submissions/\(summary.batch)"
        return response
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let submitter = try await authenticate(request, context)
        let limit = request.uri.queryParameters["limit"].flatMap { Int($0) }.map { min(500, max(1, $0)) } ?? 50
        let summaries = try await collection.summaries(sourceUnit: submitter.unitCode, limit: limit)
        return try Self.json(["submissions": summaries.map { SubmissionResponse($0, existing: nil) }], status: .ok)
    }

    @Sendable func status(_ request: Request, context: Context) async throws -> Response {
        let summary = try await ownedSummary(request, context)
        return try Self.json(SubmissionResponse(summary, existing: nil), status: .ok)
    }

    @Sendable func receipt(_ request: Request, context: Context) async throws -> Response {
        let summary = try await ownedSummary(request, context)
        guard let receipt = try await collection.receiptSummary(batch: summary.batch) else { throw Self.notFound }
        return ReceiptDownload.response(receipt, collection)
    }

    @Sendable func rejectedCSV(_ request: Request, context: Context) async throws -> Response {
        let summary = try await ownedSummary(request, context)
        return RejectedRowsDownload.response(summary, collection)
    }

    /// The batch named in the path, if it belongs to the caller's unit.
    private func ownedSummary(_ request: Request, _ context: Context) async throws -> BatchSummary {
        let submitter = try await authenticate(request, context)
        let batch = try context.parameters.require("batch")
        guard let summary = try await collection.summary(batch: batch), summary.sourceUnit == submitter.unitCode else { throw Self.notFound }
        return summary
    }

    // MARK: - Helpers

    static var missingResource: CreditHubError {
        CreditHubError(code: "bad_request", message: "name the resource: ?resource=admin_penalty (or a 'resource' form field)")
    }

    static var notFound: CreditHubError {
        CreditHubError(code: "batch_not_found", message: "no such batch for your unit")
    }

    static func encoding(_ label: String) throws -> TextEncoding {
        guard let encoding = TextEncoding(label: label) else {
            throw CreditHubError(code: "bad_request", message: "unknown encoding '\(label)'; use utf-8, gb18030, utf-16le or utf-16be")
        }
        return encoding
    }

    static func format(_ label: String) throws -> ArtefactFormat {
        guard let format = ArtefactFormat(rawValue: label) else {
            throw CreditHubError(code: "bad_request", message: "unknown format '\(label)'; use csv, jsonl, json or xlsx")
        }
        return format
    }

    static func parameter(_ name: String, in contentType: String) -> String? {
        for part in contentType.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    static func boundary(_ contentType: String) -> String? { parameter("boundary", in: contentType) }
    static func charset(_ contentType: String) -> String? { parameter("charset", in: contentType) }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }
}

/// A batch's state with links to its receipt and rejected rows.
struct SubmissionResponse: Encodable {
    var summary: BatchSummary
    var existing: Bool?

    init(_ summary: BatchSummary, existing: Bool?) {
        self.summary = summary
        self.existing = existing
    }

    enum Keys: String, CodingKey {
        case existing, links
    }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(existing, forKey: .existing)
        let base = "/api/v1/submissions/\(summary.batch)"
        try container.encode(["self": base, "receipt": "\(base)/receipt", "rejected_csv": "\(base)/rejected.csv"], forKey: .links)
    }
}

/// A request body that stops with 413 past a size limit, as `Data` chunks.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = Data
    let body: RequestBody
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let limit: Int
        var seen = 0

        mutating func next() async throws -> Data? {
            guard let buffer = try await base.next() else { return nil }
            seen += buffer.readableBytes
            guard seen <= limit else {
                throw CreditHubError(code: "payload_too_large", message: "the upload is larger than \(limit >> 20) MiB")
            }
            return Data(buffer: buffer)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator(), limit: limit)
    }
}

/// A response whose body is written in pieces as `write` produces them, optionally as a download.
func streamedResponse(contentType: String, attachment fileName: String?, write: @escaping @Sendable ((ByteBuffer) async throws -> Void) async throws -> Void) -> Response {
    var headers: HTTPFields = [.contentType: contentType]
    if let fileName { headers[.contentDisposition] = "attachment; filename=\"\(fileName)\"" }
    return Response(
        status: .ok,
        headers: headers,
        body: ResponseBody { writer in
            try await write { try await writer.write($0) }
            try await writer.finish(nil)
        }
    )
}

/// The rejected rows of a batch as a CSV download, written a page at a time; the console serves
/// the same file.
public enum RejectedRowsDownload {
    public static func response(_ summary: BatchSummary, _ collection: any CollectionService) -> Response {
        streamedResponse(contentType: "text/csv; charset=utf-8", attachment: "\(summary.batch)-rejected.csv") { write in
            _ = try await collection.writeRejectedRowsCSV(batch: summary.batch) { try await write(ByteBuffer(bytes: $0)) }
        }
    }
}

/// A receipt as compact JSON, its problem rows written a page at a time, so a million-row batch's
/// receipt never sits in memory whole.
public enum ReceiptDownload {
    public static func response(_ receipt: Receipt, _ collection: any CollectionService, attachment: Bool = false) -> Response {
        streamedResponse(contentType: "application/json; charset=utf-8", attachment: attachment ? "\(receipt.batch)-receipt.json" : nil) { write in
            try await collection.writeReceiptJSON(batch: receipt, pretty: false) { try await write(ByteBuffer(string: $0)) }
        }
    }
}
