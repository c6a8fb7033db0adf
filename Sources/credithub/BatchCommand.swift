import ArgumentParser
import CreditKernel
import Foundation
import Ingestion
import Storage

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Operate on collected batches.",
        subcommands: [List.self, Retry.self]
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
