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
            #expect(ingest.wait() == 0, "\(ingest.errorOutput)")
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
            #expect(unserved.wait() == 0, "\(unserved.errorOutput)")
            #expect(unserved.output.contains("red_list\tv2"))
            #expect(unserved.errorOutput.contains("warning: red_list is allowed only table_pull, which this platform does not serve"))

            let served = try ChildProcess(try ChildProcess.credithub, ["catalog", "import", shipped.path], environment: environment)
            #expect(served.wait() == 0, "\(served.errorOutput)")
            #expect(!served.errorOutput.contains("warning"))
        }
    }

    @Test("`credithub validate` prints for several files the receipts validation gives, problem rows paged from a spill file")
    func validateSeveral() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Over 5,000 problem rows in the first file, so they are printed in more than one page.
        let files = [
            try CrashResumeTests.sampleFile(in: directory, name: "many.csv", seed: 31, rows: 12_000, defects: .init(fixable: 0.3, rejected: 0.2, duplicate: 0.05)),
            try CrashResumeTests.sampleFile(in: directory, name: "few.csv", seed: 32, rows: 50, defects: .init(fixable: 0.1, rejected: 0.1, duplicate: 0)),
        ]
        let validate = try ChildProcess(try ChildProcess.credithub, ["validate", "--resource", "admin_penalty", "--source-unit", PenaltyRows.submitter] + files, environment: ["TMPDIR": directory])
        #expect(validate.wait() == 0, "\(validate.errorOutput)")
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
