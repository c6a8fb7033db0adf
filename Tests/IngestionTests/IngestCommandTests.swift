import CreditHubTestSupport
import CreditKernel
import Foundation
import Ingestion
import Testing

/// `credithub ingest` as an operator runs it: a real child process against a real store.
@Suite("Ingest command")
struct IngestCommandTests {
    @Test("Several files give an array of receipts whose problem rows are the files' own", arguments: StoreBackend.allCases)
    func severalFiles(backend: StoreBackend) async throws {
        try await CrashResumeTests.withEnvironment(backend) { environment, _, directory in
            let files = try [UInt64(21), 22].map { seed in
                try CrashResumeTests.sampleFile(in: directory, name: "penalties-\(seed).csv", seed: seed, rows: 300, defects: .init(fixable: 0.1, rejected: 0.1, duplicate: 0))
            }
            let ingest = try ChildProcess(
                try ChildProcess.credithub, ["ingest", "--resource", "admin_penalty", "--source-unit", PenaltyRows.submitter] + files, environment: environment
            )
            #expect(await ingest.wait() == 0, "\(ingest.errorOutput)")
            let receipts = try #require(try JSONSerialization.jsonObject(with: Data(ingest.output.utf8)) as? [[String: Any]])
            #expect(receipts.count == 2)
            for (receipt, file) in zip(receipts, files) {
                let expected = try await FileValidation.validate(
                    path: file, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil
                )
                #expect(receipt["file_name"] as? String == (file as NSString).lastPathComponent)
                let problems = try #require(receipt["problems"] as? [[String: Any]])
                #expect(!problems.isEmpty)
                #expect(problems.compactMap { $0["row"] as? Int } == expected.problems.map(\.row))
                #expect(problems.compactMap { $0["status"] as? String } == expected.problems.map(\.status.rawValue))
            }
        }
    }

    @Test("`batch receipt` prints the receipt `ingest` printed, and `batch rejected` the rows to fix; an unknown batch is refused", arguments: StoreBackend.allCases)
    func receiptAndRejectedRows(backend: StoreBackend) async throws {
        try await CrashResumeTests.withEnvironment(backend) { environment, store, directory in
            let file = try CrashResumeTests.sampleFile(in: directory, seed: 23, rows: 200, defects: .init(fixable: 0.1, rejected: 0.1, duplicate: 0))
            let ingest = try ChildProcess(try ChildProcess.credithub, ["ingest", "--resource", "admin_penalty", "--source-unit", PenaltyRows.submitter, file], environment: environment)
            #expect(await ingest.wait() == 0, "\(ingest.errorOutput)")
            let ingested = try #require(try JSONSerialization.jsonObject(with: Data(ingest.output.utf8)) as? [String: Any])
            let batch = try #require(ingested["batch"] as? String)

            let receipt = try ChildProcess(try ChildProcess.credithub, ["batch", "receipt", batch], environment: environment)
            #expect(await receipt.wait() == 0, "\(receipt.errorOutput)")
            #expect(receipt.output == ingest.output)

            let output = directory + "/rejected.csv"
            let rejected = try ChildProcess(try ChildProcess.credithub, ["batch", "rejected", batch, "--output", output], environment: environment)
            #expect(await rejected.wait() == 0, "\(rejected.errorOutput)")
            let csv = try Data(contentsOf: URL(fileURLWithPath: output))
            #expect(csv.starts(with: [0xEF, 0xBB, 0xBF]))
            let rejectedRows = try await store.collection.problems(batchID: batch, afterRow: 0, limit: 1_000).filter { $0.problem.status == .rejected }
            #expect(!rejectedRows.isEmpty)
            let validated = try await FileValidation.validate(
                path: file, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil
            )
            #expect(validated.rows.rejected == rejectedRows.count)
            let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
            #expect(text.hasPrefix("行政相对人名称,"))
            for row in rejectedRows {
                #expect(text.contains(",\(row.problem.row),"), "row \(row.problem.row) is in the file with its number")
            }
            let toStandardOutput = try ChildProcess(try ChildProcess.credithub, ["batch", "rejected", batch], environment: environment)
            #expect(await toStandardOutput.wait() == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: toStandardOutput.outputPath)) == csv)

            // A mistyped id: refused by code, and the file named for the output is left as it was.
            for arguments in [["batch", "receipt", "B00000000000000-00000000"], ["batch", "rejected", "B00000000000000-00000000", "--output", output]] {
                let unknown = try ChildProcess(try ChildProcess.credithub, arguments, environment: environment)
                #expect(await unknown.wait() == 1)
                #expect(unknown.errorOutput.contains("batch_not_found"))
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == csv)
        }
    }

    @Test("`batch retry` resumes a batch stopped for interrupting the server, after its committed rows, and audits it")
    func retryInterrupted() async throws {
        try await CrashResumeTests.withEnvironment(.sqlite) { environment, store, directory in
            let file = try CrashResumeTests.sampleFile(in: directory, name: "penalties.csv", seed: 5, rows: 300, defects: .init(fixable: 0, rejected: 0, duplicate: 0))
            // The batch as three starts that took the process down left it.
            try await store.prepare(automaticMigration: true, logger: TestStores.logger)
            let collector = Collector(store: store, raw: RawStore(directory: directory + "/data/raw"), logger: TestStores.logger)
            let batch = try await collector.submit(
                Submission(sourceUnit: PenaltyRows.submitter, resourceID: "admin_penalty", channel: .commandLine, artefact: .file(path: file), fileName: "penalties.csv", submittedBy: "test")
            ).batch
            for _ in 1...3 { _ = try await store.collection.claimBatch(id: batch) }

            let ingest = try ChildProcess(try ChildProcess.credithub, ["ingest", "--resource", "admin_penalty", "--source-unit", PenaltyRows.submitter, file], environment: environment)
            #expect(await ingest.wait() == 1)
            #expect(ingest.output.contains("processing_interrupted"))
            #expect(try await store.collection.batch(id: batch)?.status == .failed)
            let failedList = try ChildProcess(try ChildProcess.credithub, ["batch", "list", "--status", "failed"], environment: environment)
            #expect(await failedList.wait() == 0, "\(failedList.errorOutput)")
            let lines = failedList.output.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.last?.hasPrefix("\(batch)\tfailed\tadmin_penalty\t\(PenaltyRows.submitter)\t0\t") == true)
            #expect(lines.last?.hasSuffix("\tpenalties.csv\tprocessing_interrupted") == true)

            let retry = try ChildProcess(try ChildProcess.credithub, ["batch", "retry", batch], environment: environment)
            #expect(await retry.wait() == 0, "\(retry.errorOutput)")
            let receipt = try #require(try JSONSerialization.jsonObject(with: Data(retry.output.utf8)) as? [String: Any])
            #expect(receipt["status"] as? String == "completed")
            #expect((receipt["rows"] as? [String: Any])?["accepted"] as? Int == 300)
            #expect(try await store.audit.entries(from: 0, limit: 100).contains { $0.action == "submission.retry" && $0.target == batch })

            let again = try ChildProcess(try ChildProcess.credithub, ["batch", "retry", batch], environment: environment)
            #expect(await again.wait() != 0)
            #expect(again.errorOutput.contains("only a failed batch is retried"))
        }
    }

    @Test("`catalog import` warns about a resource the catalogue allows only channels this platform does not serve")
    func importWarnsOfUnservedChannels() async throws {
        try await CrashResumeTests.withEnvironment(.sqlite) { environment, _, directory in
            let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("catalog/red_list.yaml")
            let yaml = try String(contentsOf: shipped, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("channels:") ? "channels: [table_pull]" : String($0) }.joined(separator: "\n")
            let file = directory + "/red_list.yaml"
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
            let unserved = try ChildProcess(try ChildProcess.credithub, ["catalog", "import", file], environment: environment)
            #expect(await unserved.wait() == 0, "\(unserved.errorOutput)")
            #expect(unserved.output.contains("red_list\tv2"))
            #expect(unserved.errorOutput.contains("warning: red_list is allowed only table_pull, which this platform does not serve"))

            let served = try ChildProcess(try ChildProcess.credithub, ["catalog", "import", shipped.path], environment: environment)
            #expect(await served.wait() == 0, "\(served.errorOutput)")
            #expect(!served.errorOutput.contains("warning"))
        }
    }

    @Test("`credithub validate` prints for several files the receipts validation gives, problem rows paged from a spill file")
    func validateSeveral() async throws {
        let directory = Scratch.path("validate")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Over 5,000 problem rows in the first file, so they are printed in more than one page.
        let files = [
            try CrashResumeTests.sampleFile(in: directory, name: "many.csv", seed: 31, rows: 12_000, defects: .init(fixable: 0.3, rejected: 0.2, duplicate: 0.05)),
            try CrashResumeTests.sampleFile(in: directory, name: "few.csv", seed: 32, rows: 50, defects: .init(fixable: 0.1, rejected: 0.1, duplicate: 0)),
        ]
        let validate = try ChildProcess(try ChildProcess.credithub, ["validate", "--resource", "admin_penalty", "--source-unit", PenaltyRows.submitter] + files, environment: ["TMPDIR": directory])
        #expect(await validate.wait() == 0, "\(validate.errorOutput)")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let receipts = try decoder.decode([Receipt].self, from: Data(validate.output.utf8))
        #expect(receipts.count == 2)
        for (receipt, file) in zip(receipts, files) {
            let expected = try await FileValidation.validate(
                path: file, resource: Catalogue.standard.resource("admin_penalty")!, sourceUnit: PenaltyRows.submitter, format: nil, encoding: nil
            )
            #expect(receipt.rows == expected.rows)
            #expect(receipt.problems == expected.problems)
        }
        #expect(receipts[0].problems.count > 5_000)
        // The spill files are gone once the command ends.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("credithub-problems-") }.isEmpty)
    }
}
