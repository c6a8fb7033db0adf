import CreditHubTestSupport
import CreditKernel
import Crypto
import Foundation
@testable import Ingestion
import Testing

@Suite("Raw store")
struct RawStoreTests {
    /// Larger than a few read chunks and flush intervals, and not a multiple of either.
    static let content: Data = {
        var data = Data(count: RawStore.flushInterval + 2 * RawStore.chunkSize + 12_345)
        // A pattern with no period that divides a chunk, so chunks out of order would show.
        data.withUnsafeMutableBytes { bytes in
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for index in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
            }
        }
        return data
    }()

    static var expectedDigest: String {
        SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
    }

    static func stored(_ artefact: Artefact) async throws -> (RawStore.StoredArtefact, Data) {
        let raw = RawStore(directory: Scratch.path("raw"))
        let stored = try await raw.store(artefact)
        return (stored, try Data(contentsOf: URL(fileURLWithPath: stored.path)))
    }

    @Test("Bytes, a file and a stream of uneven chunks are stored verbatim under their SHA-256")
    func storesVerbatim() async throws {
        let file = Scratch.path("artefact", ".bin")
        try Self.content.write(to: URL(fileURLWithPath: file))
        let content = Self.content
        let stream = AsyncThrowingStream<Data, any Error> { continuation in
            var offset = 0
            var step = 1
            while offset < content.count {
                let end = min(offset + step, content.count)
                continuation.yield(content[offset..<end])
                offset = end
                step = step * 3 % 1_000_003 + 1
            }
            continuation.finish()
        }
        for artefact in [Artefact.bytes(content), .file(path: file), .stream(stream)] {
            let (stored, bytes) = try await Self.stored(artefact)
            #expect(stored.sha256 == Self.expectedDigest)
            #expect(stored.size == Int64(content.count))
            #expect(bytes == content)
            #expect(stored.path.hasSuffix("/sha256/\(stored.sha256.prefix(2))/\(stored.sha256)"))
        }
    }

    @Test("An empty artefact is stored as an empty file")
    func storesEmpty() async throws {
        let (stored, bytes) = try await Self.stored(.bytes(Data()))
        #expect(stored.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(stored.size == 0)
        #expect(bytes.isEmpty)
    }

    @Test("A stream that fails part-way leaves nothing in the raw store")
    func failedStreamLeavesNothing() async throws {
        struct Dropped: Error {}
        let directory = Scratch.path("raw")
        let raw = RawStore(directory: directory)
        let content = Self.content
        let stream = AsyncThrowingStream<Data, any Error> { continuation in
            continuation.yield(content[0..<RawStore.chunkSize])
            continuation.yield(content[RawStore.chunkSize..<(2 * RawStore.chunkSize)])
            continuation.finish(throwing: Dropped())
        }
        await #expect(throws: Dropped.self) { try await raw.store(.stream(stream)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/incoming").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/sha256"))
    }
}
