import ArgumentParser
import CreditKernel
import Foundation
import Governance
import Ingestion
import Logging
import Security
import Storage

/// Receipt JSON as the API and the CLI print it.
enum ReceiptJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    /// Writes `summary` with its problem rows read page by page from `page` (given the last row
    /// written, it returns the next rows, empty at the end), so a million-row batch's receipt is
    /// printed without holding it: the same JSON `encode` writes for the whole receipt, each line
    /// prefixed by `indent`.
    static func write(
        _ summary: Receipt, indent: String = "", problems page: (_ afterRow: Int) async throws -> [ProblemRow], to emit: (String) -> Void
    ) async throws {
        let encoder = encoder()
        var head = summary
        head.problems = []
        let text = String(decoding: try encoder.encode(head), as: UTF8.self)
        let placeholder = "\"problems\" : [\n\n  ]"
        // Keys are escaped inside values, so the unescaped key occurs once.
        guard let slot = text.range(of: placeholder) else {
            emit(indent + indented(text, indent))
            return
        }
        emit(indent + indented(String(text[..<slot.lowerBound]) + "\"problems\" : [", indent))
        var after = 0
        var first = true
        while true {
            let rows = try await page(after)
            guard let last = rows.last else { break }
            // A page encodes as "[\n  {…},\n  {…}\n]": its elements, two levels deeper.
            let array = String(decoding: try encoder.encode(rows), as: UTF8.self)
            let elements = array.dropFirst(2).dropLast(2)
            emit(indented((first ? "\n" : ",\n") + "  " + indented(String(elements), "  "), indent))
            first = false
            after = last.row
        }
        emit(indented((first ? "\n\n  ]" : "\n  ]") + String(text[slot.upperBound...]), indent))
    }

    /// `text` with `indent` before every line after the first that is not empty.
    private static func indented(_ text: String, _ indent: String) -> String {
        guard !indent.isEmpty else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { index, line in index == 0 || line.isEmpty ? String(line) : indent + line }
            .joined(separator: "\n")
    }
}

/// Options naming what a file holds.
struct ArtefactOptions: ParsableArguments {
    @Option(help: "Resource id from the catalogue, e.g. admin_penalty.")
    var resource: String

    @Option(help: "Text encoding when it should not be detected: utf-8, gb18030 (also gbk), utf-16le, utf-16be.")
    var encoding: String?

    @Option(help: "Format when it should not be taken from the file name: csv, jsonl, json, xlsx.")
    var format: String?

    @Argument(help: "Files to read.")
    var files: [String]

    func declaredEncoding() throws -> TextEncoding? {
        guard let encoding else { return nil }
        guard let value = TextEncoding(label: encoding) else { throw ValidationError("unknown encoding '\(encoding)'") }
        return value
    }

    func declaredFormat() throws -> ArtefactFormat? {
        guard let format else { return nil }
        guard let value = ArtefactFormat(rawValue: format) else { throw ValidationError("unknown format '\(format)'") }
        return value
    }
}

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Collect files through the pipeline into the configured store and print each receipt (回执) as JSON.",
        discussion: """
            Each file is stored verbatim in the raw store, acknowledged as a batch, governed and written. Submitting the same \
            bytes again returns the existing batch; if that batch was interrupted (a crash), it is resumed after its last \
            committed row. Exits 1 if a file could not be read at all.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var artefact: ArtefactOptions

    @Option(name: .customLong("source-unit"), help: "Unified social credit code of the submitting unit.")
    var sourceUnit: String

    func run() async throws {
        let reader = try await global.reader()
        let logger = LoggingSetup.bootstrap(reader: reader)
        let storeConfiguration = StoreConfiguration(reader: reader)
        let ingestion = IngestionConfiguration(reader: reader)
        let raw = RawStore(directory: storeConfiguration.rawDirectory)
        let keys = try SecurityConfiguration(reader: reader).keys(dataDirectory: storeConfiguration.dataDirectory)
        let encoding = try artefact.declaredEncoding()
        let format = try artefact.declaredFormat()
        let (files, resource, sourceUnit) = (artefact.files, artefact.resource, self.sourceUnit)
        let user = ProcessInfo.processInfo.environment["USER"] ?? "cli"
        let failed = try await storeConfiguration.withPreparedStore(logger: logger) { store in
            let audit = AuditLog(store: store, keys: keys, logger: logger)
            let collector = Collector(store: store, raw: raw, configuration: ingestion, audit: audit, logger: logger)
            let batches = try await withThrowingTaskGroup(of: Void.self) { group in
                // Themes follow the change feed while the files are collected, on their own connection.
                group.addTask {
                    try await ThemeProjector(store: store, wakeUps: collector.commits.stream, logger: logger).run()
                }
                var batches: [String] = []
                for file in files {
                    let acknowledgement = try await collector.submit(
                        Submission(
                            sourceUnit: sourceUnit, resourceID: resource, channel: .commandLine, artefact: .file(path: file),
                            fileName: (file as NSString).lastPathComponent, format: format, declaredEncoding: encoding, submittedBy: "cli:\(user)",
                            actor: AuditActor(kind: .platform, id: "cli:\(user)", unit: sourceUnit)
                        )
                    )
                    try await collector.process(batchID: acknowledgement.batch)
                    batches.append(acknowledgement.batch)
                }
                collector.commits.continuation.finish()
                try await group.waitForAll()
                return batches
            }
            // The projector only logs a failed step; the command must not report success past one.
            try await ThemeProjector.catchUp(store)
            try await audit.checkpointHead()
            // One receipt, or an array of them for several files; problem rows are paged out of
            // the store, so memory does not grow with the batch.
            var failed = false
            let several = batches.count > 1
            if several { print("[") }
            for (index, batch) in batches.enumerated() {
                guard let summary = try await collector.receiptSummary(batch: batch) else { continue }
                failed = failed || summary.status == .failed
                try await ReceiptJSON.write(summary, indent: several ? "  " : "") { after in
                    try await store.collection.problems(batchID: batch, afterRow: after, limit: 5_000).map(\.problem)
                } to: { print($0, terminator: "") }
                print(several && index < batches.count - 1 ? "," : "")
            }
            if several { print("]") }
            return failed
        }
        if failed { throw ExitCode.failure }
    }
}

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode and govern files without storing anything; print the receipt each would get.",
        discussion: "Duplicates and conflicts are judged within each file only, since nothing is compared with the store."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var artefact: ArtefactOptions

    @Option(name: .customLong("source-unit"), help: "Unified social credit code of the submitting unit (for source comparisons).")
    var sourceUnit: String = "validation"

    @Option(name: .customLong("catalog"), help: "Validate against these catalogue files instead of the built-in catalogue.")
    var catalogFiles: [String] = []

    func run() async throws {
        let catalogue: Catalogue
        if catalogFiles.isEmpty {
            catalogue = .standard
        } else {
            do {
                catalogue = try Catalogue.load(paths: catalogFiles)
            } catch {
                throw ValidationError(error.description)
            }
        }
        guard let resource = catalogue.resource(artefact.resource) else {
            throw ValidationError("no resource '\(artefact.resource)'; known: \(catalogue.resources.map(\.id).joined(separator: ", "))")
        }
        var receipts: [Receipt] = []
        for file in artefact.files {
            receipts.append(
                try await FileValidation.validate(path: file, resource: resource, sourceUnit: sourceUnit, format: try artefact.declaredFormat(), encoding: try artefact.declaredEncoding())
            )
        }
        print(receipts.count == 1 ? try ReceiptJSON.encode(receipts[0]) : try ReceiptJSON.encode(receipts))
        if receipts.contains(where: { $0.status == .failed }) { throw ExitCode.failure }
    }
}
