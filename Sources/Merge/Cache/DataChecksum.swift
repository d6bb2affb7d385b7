// The cache entries' data checksum: SHA-256 over the SHA-256 digests of consecutive 16 MiB chunks.
import Dispatch

/// Chunked so a reader can verify a half-GB entry on every core instead of one (the check runs on every cache hit);
/// a flipped or missing byte anywhere still changes the result.
struct DataChecksum {
    static let standardChunkSize = 16 << 20

    /// Other sizes only for tests (small chunks exercise the boundaries cheaply).
    let chunkSize: Int
    private var outer = SHA256()
    private var chunk = SHA256()
    private var inChunk = 0

    init(chunkSize: Int = standardChunkSize) { self.chunkSize = chunkSize }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = min(chunkSize - inChunk, bytes.count - offset)
            chunk.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            inChunk += n
            offset += n
            if inChunk == chunkSize { closeChunk() }
        }
    }

    private mutating func closeChunk() {
        outer.update(chunk.finalize())
        chunk = SHA256()
        inChunk = 0
    }

    mutating func finalize() -> String {
        if inChunk > 0 { closeChunk() }
        return SHA256.hex(outer.finalize())
    }

    /// The same checksum of a whole buffer, chunks hashed on `threads` threads.
    static func of(_ data: UnsafeRawBufferPointer, chunkSize: Int = standardChunkSize, threads: Int = 2) -> String {
        let count = (data.count + chunkSize - 1) / chunkSize
        let digests = DigestTable(count: count)
        let workers = max(1, min(threads, count))
        // Read-only memory that outlives concurrentPerform, which returns only when every worker is done.
        nonisolated(unsafe) let data = data
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in stride(from: worker, to: count, by: workers) {
                let slice = UnsafeRawBufferPointer(rebasing: data[(i * chunkSize)..<min(data.count, (i + 1) * chunkSize)])
                digests.set(i, SHA256.hash(slice))
            }
        }
        var outer = SHA256()
        for i in 0..<count { outer.update(digests.get(i)) }
        return SHA256.hex(outer.finalize())
    }
}

/// One slot per chunk, each written by exactly one worker before `concurrentPerform` returns.
private final class DigestTable: @unchecked Sendable {
    // @unchecked Sendable: workers write disjoint slots; reads happen after concurrentPerform's barrier.
    private var slots: [[UInt8]]
    init(count: Int) { slots = Array(repeating: [], count: count) }
    func set(_ i: Int, _ digest: [UInt8]) { slots.withUnsafeMutableBufferPointer { $0[i] = digest } }
    func get(_ i: Int) -> [UInt8] { slots[i] }
}
