import AsyncAlgorithms
import CreditKernel
import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// Streams the file part of a `multipart/form-data` upload without holding it in memory.
///
/// Form fields before the file part (such as `resource`) are collected; the file's bytes flow to
/// the consumer as they arrive, with back-pressure, so a 500 MB upload costs a few buffers.
struct MultipartUpload: Sendable {
    let boundary: String
    let body: RequestBody
    let limit: Int

    enum Event: Sendable {
        case field(String, String)
        case fileStart(fileName: String?)
        case fileData(Data)
        case fileEnd
    }

    /// Calls `handle` with the fields seen before the file, the file's bytes and its name.
    func withFile<Result: Sendable>(
        _ handle: @escaping @Sendable ([String: String], AsyncThrowingChannel<Data, any Error>, String?) async throws -> Result
    ) async throws -> Result {
        let events = AsyncThrowingChannel<Event, any Error>()
        let file = AsyncThrowingChannel<Data, any Error>()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            let boundary = self.boundary
            let body = self.body
            let limit = self.limit
            group.addTask {
                do {
                    let parser = FormParser(boundary: boundary)
                    var seen = 0
                    for try await buffer in body {
                        seen += buffer.readableBytes
                        guard seen <= limit else {
                            throw CreditHubError(code: "payload_too_large", message: "the upload is larger than \(limit >> 20) MiB")
                        }
                        for event in try parser.feed(buffer) { await events.send(event) }
                    }
                    events.finish()
                } catch {
                    events.fail(error)
                }
                return nil
            }
            var fields: [String: String] = [:]
            var fileSeen = false
            var result: Result?
            for try await event in events {
                switch event {
                case .field(let name, let value):
                    fields[name] = value
                case .fileStart(let fileName) where !fileSeen:
                    fileSeen = true
                    let snapshot = fields
                    group.addTask {
                        do {
                            return try await handle(snapshot, file, fileName)
                        } catch {
                            // Nothing reads the file any more (the raw store could not keep it): the
                            // pending send must not wait for ever. The rest of the form is still read,
                            // and dropped, so the client gets the error rather than a closed connection.
                            file.fail(error)
                            throw error
                        }
                    }
                case .fileData(let data) where fileSeen:
                    await file.send(data)
                case .fileEnd:
                    file.finish()
                default:
                    continue
                }
            }
            file.finish()
            guard fileSeen else {
                throw CreditHubError(code: "bad_request", message: "the form has no file part (a part with a filename, or named 'file')")
            }
            for try await value in group {
                if let value { result = value }
            }
            guard let result else { throw CreditHubError(code: "bad_request", message: "the upload ended early") }
            return result
        }
    }
}

/// MultipartKit's callback parser turned into a list of events per buffer.
final class FormParser {
    private let parser: MultipartParser
    private var events: [MultipartUpload.Event] = []
    private var headers: [String: String] = [:]
    private var partKind: PartKind?
    private var fieldValue: [UInt8] = []

    enum PartKind {
        case field(String)
        case file
    }

    init(boundary: String) {
        parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in
            headers[name.lowercased()] = value
        }
        parser.onBody = { [unowned self] buffer in
            let kind = currentKind()
            switch kind {
            case .file:
                events.append(.fileData(Data(buffer: buffer)))
            case .field:
                if fieldValue.count < 65536 { fieldValue += buffer.readableBytesView }
            }
        }
        parser.onPartComplete = { [unowned self] in
            switch currentKind() {
            case .file: events.append(.fileEnd)
            case .field(let name): events.append(.field(name, String(decoding: fieldValue, as: UTF8.self)))
            }
            headers = [:]
            partKind = nil
            fieldValue = []
        }
    }

    func feed(_ buffer: ByteBuffer) throws -> [MultipartUpload.Event] {
        try parser.execute(buffer)
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    private func currentKind() -> PartKind {
        if let partKind { return partKind }
        let disposition = headers["content-disposition"] ?? ""
        let name = Self.parameter("name", in: disposition) ?? ""
        let fileName = Self.parameter("filename*", in: disposition).flatMap(Self.extendedValue) ?? Self.parameter("filename", in: disposition)
        let kind: PartKind = fileName != nil || name == "file" ? .file : .field(name)
        if case .file = kind { events.append(.fileStart(fileName: fileName)) }
        partKind = kind
        return kind
    }

    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// RFC 5987 `UTF-8''%E5%A4%84…`.
    static func extendedValue(_ value: String) -> String? {
        guard let range = value.range(of: "''") else { return nil }
        return String(value[range.upperBound...]).removingPercentEncoding
    }
}
