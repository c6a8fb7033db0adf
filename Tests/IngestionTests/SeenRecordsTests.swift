import CreditKernel
@testable import Ingestion
import Storage
import Testing

@Suite("What validation remembers of a file's records")
struct SeenRecordsTests {
    static func record(_ row: Int, source: String, version: Int = 1) -> CurrentRecord {
        CurrentRecord(sequence: 0, version: version, sourceUnit: source, contentHash: Digest128(high: UInt64(row), low: 7), batchID: "validation", rowNumber: row)
    }

    @Test("Every record is found after the table grows, keys that share their low bits included, and a later version replaces an earlier")
    func growthAndCollisions() {
        var seen = SeenRecords()
        // Keys 0..<20000 share their low word in pairs (one table slot), forcing probes and several growths.
        let keys = (0..<20_000).map { Digest128(high: UInt64($0), low: UInt64($0 / 2)) }
        for chunk in stride(from: 0, to: keys.count, by: 1_000) {
            var latest: [Digest128: CurrentRecord] = [:]
            for index in chunk..<chunk + 1_000 {
                latest[keys[index]] = Self.record(index + 1, source: index.isMultiple(of: 3) ? "A" : "B")
            }
            seen.record(latest)
        }
        for (index, key) in keys.enumerated() {
            let entry = seen[key]
            #expect(entry?.row == Int32(index + 1))
            #expect(entry.map { seen.sourceUnit($0.source) } == (index.isMultiple(of: 3) ? "A" : "B"))
        }
        #expect(seen[Digest128(high: 99_999, low: 0)] == nil)

        seen.record([keys[4]: Self.record(30_000, source: "C", version: 2)])
        #expect(seen[keys[4]]?.version == 2)
        #expect(seen[keys[4]].map { seen.sourceUnit($0.source) } == "C")
        #expect(seen[keys[5]]?.row == 6, "its slot neighbour is untouched")
    }
}
