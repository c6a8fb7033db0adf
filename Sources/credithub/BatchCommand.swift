import ArgumentParser
import CreditKernel
import Foundation
import Ingestion
import Storage

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Operate on collected batches.",
        subcommands: [Retry.self]
    )

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
