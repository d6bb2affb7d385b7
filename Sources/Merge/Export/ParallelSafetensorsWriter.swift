// An export without the merge cache: every worker merges a tensor and writes it straight to its place in the file.
import Foundation
import Quant

/// The safetensors header fixes every tensor's offset before any is merged, so workers need not hand their results
/// to one writer in order: each `pwrite`s its tensor where it belongs and starts its writeback, and the copy into
/// the page cache (a seventh of a linear merge) runs on every core. The file appears at `path` only on `finish`
/// (temporary file, fsync, rename, fsync of the folder; without `durable` just the rename), as with
/// `SafetensorsStreamWriter`, and is byte-identical to what that writer produces.
final class ParallelSafetensorsWriter: @unchecked Sendable {
    // @unchecked Sendable: `fd` and the layout are fixed after init; workers write disjoint ranges of the file.
    let path: String
    let temporaryPath: String
    let dtype: MergeOutputDType
    private let entries: [SafetensorsStreamWriter.Entry]
    private let offsets: [Int]
    private let durable: Bool
    private var fd: Int32

    init(path: String, temporaryPath: String, entries: [SafetensorsStreamWriter.Entry], dtype: MergeOutputDType,
         metadata: [String: String], durable: Bool) throws {
        self.path = path
        self.durable = durable
        self.temporaryPath = temporaryPath
        self.entries = entries
        self.dtype = dtype
        let layout = SafetensorsStreamWriter.fileLayout(entries: entries, dtype: dtype, metadata: metadata, checksumKey: nil)
        offsets = layout.tensorOffsets
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MergeWriteError.cannotWrite(file: temporaryPath, reason: String(cString: strerror(errno))) }
        do { try layout.prefix.withUnsafeBytes { try write($0, at: 0) } } catch { abandon(); throw error }
    }

    deinit { if fd >= 0 { abandon() } }

    /// Writes entries `firstEntry...` of tensor `index`; any thread may call this, each with a different part.
    func write(_ index: Int, from firstEntry: Int, _ values: UnsafeBufferPointer<Float>) throws {
        precondition(firstEntry + values.count <= entries[index].count, "ParallelSafetensorsWriter: \(entries[index].name) overrun")
        let offset = offsets[index] + firstEntry * dtype.byteSize
        try dtype.withBytes(of: values) { start, bytes in try write(bytes, at: offset + start * dtype.byteSize) }
        // Start the disk writes now (without waiting) so they overlap the rest of the merge instead of all waiting
        // for the final fsync.
        guard durable else { return }
        _ = SafetensorsStreamWriter.syncFileRange?(fd, Int64(offset), Int64(values.count * dtype.byteSize),
                                                   SafetensorsStreamWriter.syncFileRangeWrite)
    }

    /// Syncs and renames into place; every tensor must have been written.
    func finish() throws {
        try SafetensorsStreamWriter.syncAndRename(&fd, temporaryPath, to: path, durable: durable, abandon: abandon)
    }

    /// Closes and deletes the temporary file.
    func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError()
            }
            done += n
        }
    }

    private func posixError() -> MergeWriteError {
        .cannotWrite(file: temporaryPath, reason: String(cString: strerror(errno)))
    }
}
