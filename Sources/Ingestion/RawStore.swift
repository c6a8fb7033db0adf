import Crypto
import CreditKernel
import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The raw store (原始库): every artefact exactly as received, named by its SHA-256, written to a
/// temporary file, flushed to disk (fsync) and renamed into place before it is acknowledged.
///
/// The calls that wait for the disk (reading a file, writing, fsync) run on `threadPool`, not on
/// the cooperative threads every request and pipeline task shares: on a two-core server there are
/// two of those, and a large upload's fsync held one for up to a second.
public struct RawStore: Sendable {
    /// Root directory, e.g. `<data.directory>/raw`.
    public let directory: String
    let threadPool: NIOThreadPool

    public init(directory: String, threadPool: NIOThreadPool = .singleton) {
        self.directory = directory
        self.threadPool = threadPool
    }

    /// An artefact in the raw store.
    public struct StoredArtefact: Sendable, Hashable {
        public var sha256: String
        public var size: Int64
        public var path: String
    }

    /// Where the artefact with this digest lives.
    public func path(sha256: String) -> String {
        "\(directory)/sha256/\(sha256.prefix(2))/\(sha256)"
    }

    /// Stores the artefact durably and returns its digest; storing identical bytes twice keeps one copy.
    public func store(_ artefact: Artefact) async throws -> StoredArtefact {
        let incoming = "\(directory)/incoming"
        do {
            try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        } catch {
            throw Self.error("cannot create \(incoming)", reason: "\(error.localizedDescription)")
        }
        let temporary = "\(incoming)/\(UUID().uuidString)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw Self.error("cannot create \(temporary)") }
        let digest: String
        let size: Int64
        do {
            (digest, size) = try await Self.copy(artefact, to: descriptor, threadPool: threadPool)
            try await threadPool.runIfActive {
                guard fsync(descriptor) == 0 else { throw Self.error("cannot flush the artefact to disk") }
            }
            close(descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        let destination = path(sha256: digest)
        try await threadPool.runIfActive {
            let folder = (destination as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: destination) {
                unlink(temporary)
            } else {
                guard rename(temporary, destination) == 0 else { throw Self.error("cannot move the artefact into the raw store") }
                Self.syncDirectory(folder)
            }
        }
        return StoredArtefact(sha256: digest, size: size, path: destination)
    }

    /// Bytes per chunk, read from a file or cut from bytes in memory: large enough that handing a
    /// chunk to the writer costs nothing next to hashing it.
    static let chunkSize = 4 << 20
    /// Bytes written between requests to the kernel to start writing the file out.
    static let flushInterval = 32 << 20
    /// Chunks this large are written while the next one is hashed.
    static let overlapThreshold = 1 << 20

    /// Writes the artefact to `descriptor` and returns its SHA-256 and size.
    ///
    /// Each chunk is hashed while the one before it is written, and the file is flushed in the
    /// background as it grows, so storing a large upload costs about the time of hashing it and the
    /// fsync before the acknowledgement finds little left to write.
    static func copy(_ artefact: Artefact, to descriptor: Int32, threadPool: NIOThreadPool) async throws -> (sha256: String, size: Int64) {
        var hasher = SHA256()
        var size: Int64 = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (flushes, requestFlush) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            defer { requestFlush.finish() }
            var pending: Data?
            var unflushed = 0
            var flushing = false
            func hash(_ chunk: Data?) {
                guard let chunk else { return }
                hasher.update(data: chunk)
                size += Int64(chunk.count)
            }
            func accept(_ chunk: Data?) async throws {
                let previous = pending
                // A small upload (an HTTP body arrives in small buffers) is written as it comes,
                // into the page cache: handing each buffer to another thread would cost more than it
                // overlaps.
                if let previous, previous.count >= overlapThreshold {
                    async let written: Void = threadPool.runIfActive { try write(previous, to: descriptor) }
                    hash(chunk)
                    try await written
                } else {
                    if let previous { try write(previous, to: descriptor) }
                    hash(chunk)
                }
                pending = chunk
                unflushed += previous?.count ?? 0
                if unflushed >= flushInterval {
                    // Started with the first flush, so a small artefact runs no task beside its own.
                    if !flushing {
                        flushing = true
                        group.addTask {
                            for await _ in flushes {
                                try await threadPool.runIfActive {
                                    guard fdatasync(descriptor) == 0 else { throw Self.error("cannot flush the artefact to disk") }
                                }
                            }
                        }
                    }
                    requestFlush.yield()
                    unflushed = 0
                }
            }
            switch artefact {
            case .bytes(let data):
                for offset in stride(from: data.startIndex, to: data.endIndex, by: chunkSize) {
                    try await accept(data[offset..<min(offset + chunkSize, data.endIndex)])
                }
            case .file(let path):
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw CreditHubError(code: "file_not_found", message: "cannot read \(path)")
                }
                defer { try? handle.close() }
                while let chunk = try await threadPool.runIfActive({ try handle.read(upToCount: chunkSize) }), !chunk.isEmpty { try await accept(chunk) }
            case .stream(let stream):
                for try await chunk in stream { try await accept(chunk) }
            }
            try await accept(nil)
            requestFlush.finish()
            try await group.waitForAll()
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }

    static func write(_ data: Data, to descriptor: Int32) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Self.error("cannot write the artefact")
                }
                offset += written
            }
        }
    }

    /// Makes a rename durable: the directory entry itself must reach the disk.
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// The server cannot keep what it was sent (a full disk, a read-only or missing volume): nothing
    /// the submitter can fix, so they are told to try again later while the operators see the reason.
    static func error(_ message: String, reason: String = String(cString: strerror(errno))) -> CreditHubError {
        CreditHubError(
            code: "raw_store_write_failed", message: "\(message): \(reason)",
            chineseMessage: "平台暂时无法保存报送的文件，请稍后重试；如仍失败，请联系平台运维人员"
        )
    }
}
