// Merged tensors in plan order for exporters: read from a verified cache entry, or merged and stored on the way.
import Foundation
import Quant

extension MergeEngine {
    /// Calls `body` with every merged tensor in order. With a cache, a verified f32 entry for this merge is read back
    /// (bit-identical to merging); otherwise the merge runs and each tensor is also appended to a new entry, which is
    /// renamed into place only after the last tensor, so a run killed midway leaves no entry that could be loaded.
    /// The entry uses the same key as merge-on-load (f32), so `mergeguard merge` and `serve` share it.
    @discardableResult
    public func mergedTensors(cache: MergeCache?, fingerprint: FileFingerprintMode = .quick, parallelism: Int = 2,
                              progress: MergeProgressHandler? = nil,
                              _ body: (PlannedTensor, AlignedBuffer<Float>) throws -> Void) throws -> MergedModel.CacheOutcome {
        guard let cache else {
            try mergedTensors(parallelism: parallelism, progress: progress, body)
            return .disabled
        }
        let key = try MergeCacheKey(engine: self, dtype: .f32, fingerprint: fingerprint)
        var discarded: String?
        switch cache.lookup(key, tensors: tensors) {
        case .hit(let entry):
            var done = 0
            for (i, tensor) in tensors.enumerated() {
                try body(tensor, try entry.tensor(tensor.name, tensor.shape))
                done += tensor.elementCount * 4
                progress?(MergeProgress(tensorIndex: i + 1, tensorCount: tensors.count, tensorName: tensor.name,
                                        bytesDone: done, bytesTotal: totalBytes))
            }
            return .hit(path: entry.path)
        case .discarded(let reason): discarded = reason
        case .miss: break
        }
        let tee = CacheTee(writer: try? cache.beginWrite(key, tensors: tensors, dtype: .f32), dtype: .f32)
        do {
            try mergedTensors(parallelism: parallelism, progress: progress) { tensor, values in
                try body(tensor, try tee.pass(tensor.name, values))
            }
        } catch {
            tee.abandon()
            throw error
        }
        if let failure = tee.finish() { return .writeFailed(reason: failure) }
        let path = cache.entryPath(key)
        return discarded.map { .rebuilt(path: path, reason: $0) } ?? .stored(path: path)
    }
}
