import ArgumentParser
import CreditKernel
import Foundation
import SampleData

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write synthetic 双公示 records (valid codes, Chinese text, a mix of defects) for demos and benchmarks."
    )

    @Option(help: "admin_penalty or admin_license.")
    var resource = "admin_penalty"

    @Option(help: "Number of data rows.")
    var rows = 1000

    @Option(help: "Random seed; the same seed writes the same file.")
    var seed: UInt64 = 1

    @Option(help: "Share of rows with fixable defects.")
    var fixable = 0.05

    @Option(help: "Share of rows that must be rejected.")
    var rejected = 0.03

    @Option(help: "Share of rows that repeat an earlier row.")
    var duplicate = 0.01

    @Option(help: "utf-8 or gb18030.")
    var encoding = "utf-8"

    @Flag(help: "Put a template instruction row (表格说明) above the header.")
    var instructionRow = false

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    func run() throws {
        guard let resource = Catalogue.standard.resource(resource), ["admin_penalty", "admin_license"].contains(resource.id) else {
            throw ValidationError("sample data exists for admin_penalty and admin_license")
        }
        guard let textEncoding = TextEncoding(label: encoding), textEncoding == .utf8 || textEncoding == .gb18030 else {
            throw ValidationError("encoding must be utf-8 or gb18030")
        }
        var generator = SampleGenerator(resource: resource, seed: seed, defects: .init(fixable: fixable, rejected: rejected, duplicate: duplicate))
        let sink = try SampleSink(path: output, encoding: textEncoding)
        if instructionRow {
            try sink.write(["表格说明：带 * 为必填项；日期格式为 YYYY/MM/DD；金额单位为万元。"] + Array(repeating: "", count: resource.fields.count - 1))
        }
        try sink.write(generator.header)
        for _ in 0..<rows {
            try sink.write(generator.nextRow())
        }
        try sink.close()
    }
}
