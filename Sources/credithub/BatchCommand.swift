import ArgumentParser
import CreditKernel
import Foundation
import Ingestion
import Storage

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Operate on collected batches.",
        subcommands: [List.self, ReceiptCommand.self, RejectedRows.self, Retry.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List batches, newest first, one per line (tab-separated): what is still being processed, what failed and why.",
            discussion: """
                Columns: batch, status, resource, source unit, rows processed, accepted, rejected, duplicate, conflict, \
                received (UTC), file, and for a failed batch the code of what failed it.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only batches in this status: received, processing, completed or failed.")
        var status: BatchStatus?

        @Option(name: .customLong("source-unit"), help: "Only the batches this unit submitted.")
        var sourceUnit: String?

        @Option(help: "At most this many batches.")
        var limit = 50

        func run() async throws {
            let reader = try await global.reader()
            let logger = LoggingSetup.bootstrap(reader: reader)
            let (status, sourceUnit, limit) = (self.status, self.sourceUnit, self.limit)
            let batches = try await StoreConfiguration(reader: reader).withPreparedStore(logger: logger) { store in
                try await store.collection.batches(sourceUnit: sourceUnit, status: status, limit: limit)
            }
            print("batch\tstatus\tresource\tsource unit\tprocessed\taccepted\trejected\tduplicate\tconflict\treceived\tfile\tproblem")
            for stored in batches {
                let rows = stored.rows
                let cells = [
                    stored.batch.id, stored.status.rawValue, stored.batch.resourceID, stored.batch.sourceUnit, String(stored.processedRows), String(rows.accepted),
                    String(rows.rejected), String(rows.duplicate), String(rows.conflict), stored.batch.receivedAt.formatted(.iso8601), stored.batch.fileName ?? "",
                    stored.batchProblems.map(\.code.rawValue).joined(separator: ","),
                ]
                print(cells.map { $0.replacingOccurrences(of: "\t", with: " ") }.joined(separator: "\t"))
            }
        }
    }

    struct ReceiptCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receipt",
            abstract: "Print batches' receipts (回执) as JSON, as `ingest` printed them, whatever channel they came through.",
            discussion: "Several batches give an array. A batch still being processed shows its rows so far. Exits 1 if a batch is unknown or failed."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Batch ids.")
        var batches: [String]

        func run() async throws {
            let batches = self.batches
            let failed = try await withCollector(global: global) { collector, _, _ in
                for batch in batches where try await collector.receiptSummary(batch: batch) == nil {
                    throw CreditHubError(code: "batch_not_found", message: "no batch \(batch); `credithub batch list` shows the batches in the store")
                }
                return try await printReceipts(of: batches, from: collector)
            }
            if failed { throw ExitCode.failure }
        }
    }

    struct RejectedRows: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rejected",
            abstract: "Write a batch's rejected rows as CSV to fix in Excel and submit again.",
            discussion: """
                UTF-8 with a BOM, so Excel opens it as it is: the file's own columns, then the row number and the reasons. \
                The same file as the console's and the interface's rejected.csv.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        @Argument(help: "Batch id.")
        var batch: String

        func run() async throws {
            let (batch, output) = (self.batch, self.output)
            try await withCollector(global: global) { collector, _, _ in
                // Looked up first, so a mistyped id does not truncate the output file.
                guard try await collector.summary(batch: batch) != nil else {
                    throw CreditHubError(code: "batch_not_found", message: "no batch \(batch); `credithub batch list` shows the batches in the store")
                }
                let sink: FileHandle
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
                        throw CreditHubError(code: "cannot_write", message: "cannot write \(output)")
                    }
                    sink = handle
                } else {
                    sink = .standardOutput
                }
                defer { if output != nil { try? sink.close() } }
                _ = try await collector.writeRejectedRowsCSV(batch: batch, pageRows: Collector.receiptPageSize) { try sink.write(contentsOf: $0) }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Process failed batches again from after their last committed row, and print each receipt (回执) as JSON.",
            discussion: """
                For a batch stopped with processing_interrupted, once the fault that stopped the server is fixed: submitting \
                the same bytes again only returns the failed batch. A batch failed as unreadable or without a header fails \
                again the same way. The rows already committed stay; the retry is audited. Exits 1 if a batch fails again.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Ids of failed batches.")
        var batches: [String]

        func run() async throws {
            let batches = self.batches
            let failed = try await collectPrintingReceipts(global: global) { collector, user in
                for batch in batches {
                    try await collector.retry(batchID: batch, actor: AuditActor(kind: .platform, id: "cli:\(user)", unit: ""))
                }
                return batches
            }
            if failed { throw ExitCode.failure }
        }
    }
}

extension BatchStatus: ExpressibleByArgument {}
