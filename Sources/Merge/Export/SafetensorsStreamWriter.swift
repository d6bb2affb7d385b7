// Writes a safetensors file tensor by tensor (the header is known up front), hashing the data as it goes.
import Foundation
import Inference
import Quant

public enum MergeOutputDType: String, Sendable, CaseIterable {
    case f32, bf16

    var safetensors: SafetensorsDType { self == .f32 ? .f32 : .bf16 }
    var byteSize: Int { self == .f32 ? 4 : 2 }

    /// Hands `body` the bytes of `values` in this type, in order: f32 as they are, bf16 converted one slice of at
    /// most 2^20 values at a time so the conversion buffer stays small for large tensors. `start` is the slice's
    /// first value.
    func withBytes(of values: UnsafeBufferPointer<Float>,
                   _ body: (_ start: Int, _ bytes: UnsafeRawBufferPointer) throws -> Void) rethrows {
        switch self {
        case .f32:
            try body(0, UnsafeRawBufferPointer(values))
        case .bf16:
            let chunk = 1 << 20
            var bits = [UInt16](repeating: 0, count: min(chunk, values.count))
            var start = 0
            while start < values.count {
                let n = min(chunk, values.count - start)
                for i in 0..<n { bits[i] = floatToBF16(values[start + i]).littleEndian }
                try bits.withUnsafeBytes { raw in try body(start, UnsafeRawBufferPointer(rebasing: raw[0..<(n * 2)])) }
                start += n
            }
        }
    }
}

public enum MergeWriteError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case cannotWrite(file: String, reason: String)
    case outOfOrder(file: String, expected: String?, got: String)
    case incomplete(file: String, written: Int, expected: Int)
    case needsGGUFBase(base: String)

    public var description: String {
        switch self {
        case .cannotWrite(let f, let r): return "cannot write \(f): \(r)"
        case .outOfOrder(let f, let e, let g):
            return "\(f): tensor \"\(g)\" written out of order (expected \(e.map { "\"\($0)\"" } ?? "no more tensors"))"
        case .incomplete(let f, let w, let e): return "\(f): only \(w) of \(e) tensors were written"
        case .needsGGUFBase(let base):
            return "writing GGUF needs a GGUF base to copy metadata and tokenizer from, but the base is \(base); export HF safetensors instead"
        }
    }

    public var errorDescription: String? { description }
}

/// Memory stays at one tensor: entries are declared first (so offsets are known), then streamed in that order.
/// The file appears at `path` only on `finish` (temp file, fsync, rename, fsync of the folder; without `durable`
/// just the rename). When `checksumKey` is set, the data section's XXH64 is stored under that `__metadata__` key.
final class SafetensorsStreamWriter {
    struct Entry: Sendable {
        let name: String
        let shape: [Int]
        var count: Int { shape.reduce(1, *) }
    }

    let path: String
    let temporaryPath: String
    let dtype: MergeOutputDType
    private let entries: [Entry]
    private var next = 0
    private var fd: Int32
    private var digest = XXH64()
    /// Only cache entries store a checksum; exports skip the hashing.
    private let hashes: Bool
    /// Whether `finish` makes the file durable (fsync) and writeback starts during the writes.
    private let durable: Bool
    private var checksumOffset: Int?
    private var done = false

    static let checksumPlaceholder = String(repeating: "0", count: 16)

    init(path: String, temporaryPath: String, entries: [Entry], dtype: MergeOutputDType,
         metadata: [String: String], checksumKey: String?, durable: Bool = true) throws {
        self.path = path
        self.durable = durable
        self.temporaryPath = temporaryPath
        self.entries = entries
        self.dtype = dtype
        hashes = checksumKey != nil
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MergeWriteError.cannotWrite(file: temporaryPath, reason: String(cString: strerror(errno))) }

        let layout = Self.fileLayout(entries: entries, dtype: dtype, metadata: metadata, checksumKey: checksumKey)
        checksumOffset = layout.checksumOffset
        let prefix = layout.prefix
        do { try prefix.withUnsafeBytes { try writeAll($0) } } catch { abandon(); throw error }
    }

    /// The bytes before the data section (length + JSON header, padded to 8), where each tensor's data begins in the
    /// file, and where the checksum placeholder's hex digits sit when there is a checksum key.
    static func fileLayout(entries: [Entry], dtype: MergeOutputDType, metadata: [String: String],
                           checksumKey: String?) -> (prefix: [UInt8], tensorOffsets: [Int], checksumOffset: Int?) {
        var meta = metadata
        if let checksumKey { meta[checksumKey] = checksumPlaceholder }
        var parts = ["\(SafetensorsWriter.quoted("__metadata__")):{"
                     + meta.sorted { $0.key < $1.key }.map { "\(SafetensorsWriter.quoted($0.key)):\(SafetensorsWriter.quoted($0.value))" }
                         .joined(separator: ",") + "}"]
        var offset = 0
        var offsets: [Int] = []
        for e in entries {
            let end = offset + e.count * dtype.byteSize
            parts.append("\(SafetensorsWriter.quoted(e.name)):{\"dtype\":\"\(dtype.safetensors.rawValue)\",\"shape\":["
                         + e.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}")
            offsets.append(offset)
            offset = end
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var checksumOffset: Int?
        if let checksumKey {
            let needle = Array("\(SafetensorsWriter.quoted(checksumKey)):\"\(checksumPlaceholder)\"".utf8)
            if let at = find(needle, in: header) { checksumOffset = 8 + at + needle.count - checksumPlaceholder.count - 1 }
        }
        let prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        return (prefix, offsets.map { $0 + prefix.count }, checksumOffset)
    }

    deinit { if !done { abandon() } }

    /// Appends the next tensor; names must come in the declared order.
    func append(_ name: String, _ values: UnsafeBufferPointer<Float>) throws {
        guard next < entries.count, entries[next].name == name, entries[next].count == values.count else {
            throw MergeWriteError.outOfOrder(file: path, expected: next < entries.count ? entries[next].name : nil, got: name)
        }
        next += 1
        try dtype.withBytes(of: values) { _, bytes in
            if hashes { digest.update(bytes) }
            try writeAll(bytes)
        }
    }

    /// Writes the checksum into the header, syncs, and renames into place. Returns the data section's XXH64 (hex;
    /// only meaningful with a checksum key).
    @discardableResult
    func finish() throws -> String {
        guard next == entries.count else {
            abandon()
            throw MergeWriteError.incomplete(file: path, written: next, expected: entries.count)
        }
        let hex = digest.hexDigest
        do {
            if let checksumOffset {
                let bytes = Array(hex.utf8)
                let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(checksumOffset)) }
                guard written == bytes.count else { throw posixError() }
            }
        } catch {
            abandon()
            throw error
        }
        try Self.syncAndRename(&fd, temporaryPath, to: path, durable: durable, abandon: abandon)
        done = true
        return hex
    }

    /// Closes and deletes the temporary file.
    func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
        done = true
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError()
            }
            offset += n
        }
        written += bytes.count
        startWriteback()
    }

    private var written = 0
    private var writebackStarted = 0
    static let writebackStep = 32 << 20

    /// Starts (without waiting) the disk writes of what has been written so far, in 32 MiB steps, so they overlap
    /// the merge instead of all waiting for the final fsync (0.7 s for a 538 MB model here).
    private func startWriteback() {
        guard durable, written - writebackStarted >= Self.writebackStep else { return }
        _ = Self.syncFileRange?(fd, Int64(writebackStarted), Int64(written - writebackStarted), Self.syncFileRangeWrite)
        writebackStarted = written
    }

    /// glibc's sync_file_range, which Swift's Glibc module leaves out (it is behind _GNU_SOURCE); nil elsewhere,
    /// and then the final fsync does all the work as before.
    typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    static let syncFileRange: SyncFileRange? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range")
        .map { unsafeBitCast($0, to: SyncFileRange.self) }
    static let syncFileRangeWrite: UInt32 = 2  // SYNC_FILE_RANGE_WRITE in <fcntl.h>

    private func posixError() -> MergeWriteError {
        .cannotWrite(file: temporaryPath, reason: String(cString: strerror(errno)))
    }

    /// The commit of a written temporary file: fsync, close, rename over `path`, then sync the folder so the rename
    /// itself survives a crash. Without `durable` only close and rename: a killed process still never leaves a
    /// partial file at `path`, but a power cut may. On a failure `abandon` (which deletes the temporary file) runs and
    /// the error is thrown.
    static func syncAndRename(_ fd: inout Int32, _ temporaryPath: String, to path: String, durable: Bool = true,
                              abandon: () -> Void) throws {
        let failure = { MergeWriteError.cannotWrite(file: temporaryPath, reason: String(cString: strerror(errno))) }
        do {
            guard !durable || fsync(fd) == 0 else { throw failure() }
            close(fd)
            fd = -1
            guard rename(temporaryPath, path) == 0 else { throw failure() }
        } catch {
            abandon()
            throw error
        }
        if durable { syncFolder(of: path) }
    }

    /// So the rename itself survives a crash.
    static func syncFolder(of path: String) {
        let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
