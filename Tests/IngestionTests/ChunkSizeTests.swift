import CreditHubTestSupport
import CreditKernel
import Foundation
import Governance
import Ingestion
import Testing

@Suite("Chunk sizes")
struct ChunkSizeTests {
    @Test("A chunk ends at its row bound or once its text reaches its byte bound, and every row arrives once, in order", arguments: [(7, 1 << 20), (100, 3_000), (3, 3_000)])
    func chunkBounds(rows: Int, bytes: Int) async throws {
        // Rows of different lengths: a long 违法事实 in every fourth.
        let records = (1...40).map { number in
            PenaltyRows.record(number, number % 4 == 0 ? ["CF_SY": String(repeating: "当事人超标排放污染物。", count: 60)] : [:])
        }
        let path = Scratch.path("chunks", ".csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(PenaltyRows.csv(records).utf8).write(to: URL(fileURLWithPath: path))
        let resource = try #require(Catalogue.standard.resource("admin_penalty"))
        let reader = try GovernedRowReader(
            path: path, format: .csv, declaredEncoding: nil, governor: ResourceGovernor(resource: resource, today: .today()), submittingUnit: PenaltyRows.submitter
        )
        var chunks: [[Int]] = []
        try await reader.governChunks(GovernedRowReader.ChunkSize(rows: rows, bytes: bytes), parallelism: 2) { chunk in
            chunks.append(chunk.rows.map(\.position))
        }
        // The same bounds applied to the rows' cell text.
        var expected: [[Int]] = [[]]
        var text = 0
        for (index, record) in records.enumerated() {
            if expected[expected.count - 1].count == rows || text >= bytes {
                expected.append([])
                text = 0
            }
            expected[expected.count - 1].append(index + 1)
            text += PenaltyRows.cells(record).reduce(0) { $0 + $1.utf8.count }
        }
        #expect(chunks == expected)
        #expect(chunks.count > 1)
    }
}
