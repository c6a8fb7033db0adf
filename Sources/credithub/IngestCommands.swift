import ArgumentParser
import CreditKernel
import Foundation
import Governance
import Ingestion
import Logging
import Security
import Storage

/// Prints one receipt, or an array of them for several files, each written by `write` with the
/// indent its lines need.
func printReceipts<Item>(_ items: [Item], write: (Item, _ indent: String) async throws -> Void) async throws {
    let several = items.count > 1
    if several { print("[") }
    for (index, item) in items.enumerated() {
        try await write(item, several ? "  " : "")
        print(several && index < items.count - 1 ? "," : "")
    }
    if several { print("]") }
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
        let encoding = try artefact.declaredEncoding()
        let format = try artefact.declaredFormat()
        let (files, resource, sourceUnit) = (artefact.files, artefact.resource, self.sourceUnit)
        let failed = try await collectPrintingReceipts(global: global) { collector, user in
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
            return batches
        }
        if failed { throw ExitCode.failure }
    }
}

/// Prints each batch's receipt from the store (several as a JSON array); returns whether any of them failed.
func printReceipts(of batches: [String], from collector: Collector) async throws -> Bool {
    var failed = false
    try await printReceipts(batches) { batch, indent in
        guard let summary = try await collector.receiptSummary(batch: batch) else { return }
        failed = failed || summary.status == .failed
        try await collector.writeReceiptJSON(batch: summary, pretty: true, indent: indent) { print($0, terminator: "") }
    }
    return failed
}

/// Runs `body` with a collector over the configured store, as `ingest` and the `batch` commands use it.
func withCollector<Result: Sendable>(
    global: GlobalOptions, _ body: @escaping @Sendable (Collector, AuditLog, Logger) async throws -> Result
) async throws -> Result {
    let reader = try await global.reader()
    let logger = LoggingSetup.bootstrap(reader: reader)
    let storeConfiguration = StoreConfiguration(reader: reader)
    let ingestion = IngestionConfiguration(reader: reader)
    let raw = RawStore(directory: storeConfiguration.rawDirectory)
    let keys = try SecurityConfiguration(reader: reader).keys(dataDirectory: storeConfiguration.dataDirectory)
    return try await storeConfiguration.withPreparedStore(logger: logger) { store in
        let audit = AuditLog(store: store, keys: keys, logger: logger)
        return try await body(Collector(store: store, raw: raw, configuration: ingestion, audit: audit, logger: logger), audit, logger)
    }
}

/// Runs `collect` with a collector over the configured store, the subject theme following its
/// commits, then prints the receipt of each batch it names (problem rows paged out of the store, so
/// memory does not grow with the batch). Returns whether any of them failed.
func collectPrintingReceipts(global: GlobalOptions, _ collect: @escaping @Sendable (Collector, _ user: String) async throws -> [String]) async throws -> Bool {
    let user = ProcessInfo.processInfo.environment["USER"] ?? "cli"
    return try await withCollector(global: global) { collector, audit, logger in
        let store = collector.store
        var failed = false
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Themes follow the change feed while the batches are collected, on their own connection.
            group.addTask {
                try await ThemeProjector(store: store, wakeUps: collector.commits.stream, logger: logger).run()
            }
            let batches = try await collect(collector, user)
            collector.commits.continuation.finish()
            // The receipts are final once the batches are: they are printed while the theme
            // applies the last commits.
            failed = try await printReceipts(of: batches, from: collector)
            try await group.waitForAll()
        }
        // The projector only logs a failed step; the command must not report success past one.
        try await ThemeProjector.catchUp(store)
        try await audit.checkpointHead()
        return failed
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
            if let resource = Catalogue.standardResource(artefact.resource) {
                catalogue = Catalogue(resources: [resource])
            } else {
                catalogue = .standard
            }
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
        // Problem rows wait in a temporary file per file and are printed a page at a time, like
        // `ingest`'s, so memory does not grow with them.
        var receipts: [(receipt: Receipt, problems: ProblemSpill)] = []
        let ingestion = IngestionConfiguration(reader: try await global.reader())
        for file in artefact.files {
            let spill = try ProblemSpill()
            let receipt = try await FileValidation.validate(
                path: file, resource: resource, sourceUnit: sourceUnit, format: try artefact.declaredFormat(), encoding: try artefact.declaredEncoding(),
                maximumProblemRows: ingestion.maximumProblemRows, problemSink: spill.append
            )
            receipts.append((receipt, spill))
        }
        try await printReceipts(receipts) { item, indent in
            try await ReceiptJSON.write(item.receipt, pretty: true, indent: indent) { _ in
                try item.problems.next(limit: Collector.receiptPageSize)
            } to: { print($0, terminator: "") }
        }
        if receipts.contains(where: { $0.receipt.status == .failed }) { throw ExitCode.failure }
    }
}
