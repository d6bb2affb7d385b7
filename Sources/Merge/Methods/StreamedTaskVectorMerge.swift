// task_arithmetic and TIES without a per-model copy of the task vectors: thresholds first, then the merge in chunks.

/// The general path (`TaskVectorMerge`) keeps every model's sparsified delta of a tensor at once: 4 models × the
/// 28M-entry embedding is 450 MB of scratch per merging thread, which put TIES over the memory target. Magnitude
/// sparsification only needs each model's k-th largest |δ| (and how many entries tied with it are kept, lowest
/// index first), so after one selection pass per model the merge runs over small chunks, recomputing δ = θ − base.
/// Every float operation happens in the general path's order, so the results are bit-identical to it.
struct StreamedTaskVectorMerge {
    static let chunk = 16_384

    /// Plain task vectors, or TIES-style magnitude sparsification without L1 rescaling (which needs both norms before
    /// the first chunk).
    static func applies(_ recipe: TaskVectorRecipe, rescale: Bool) -> Bool {
        switch recipe.sparsification {
        case nil: return true
        case .magnitude?: return !rescale
        default: return false
        }
    }

    /// Which entries of one model's δ survive: those above `threshold`, and the first `ties` equal to it.
    struct Keep {
        var threshold: Float
        var ties: Int
        static let everything = Keep(threshold: -1, ties: 0)
    }

    let consensus: SignConsensus?
    let normalize: Bool
    let lambda: Float

    func merge(base: UnsafeBufferPointer<Float>, models: [UnsafeBufferPointer<Float>], weights: [Float], keeps: [Keep],
               into output: UnsafeMutableBufferPointer<Float>) {
        let count = base.count
        let modelCount = models.count
        var keeps = keeps
        guard count > 0 else { return }
        var plainDivisor: Float = 0
        for w in weights { plainDivisor += w }
        if abs(plainDivisor) < 1e-8 { plainDivisor = 1 }
        // Per chunk: one row of weighted, sparsified deltas per model, then per-entry sums. Every loop runs over
        // entries with the model fixed, so it vectorizes; selects replace the general path's branches where adding
        // +0 changes nothing (a sum of non-zero deltas that starts at +0 is never −0).
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: (modelCount + 3) * Self.chunk)
        defer { scratch.deallocate() }
        let total = scratch.baseAddress! + modelCount * Self.chunk
        let mixed = total + Self.chunk
        let divisor = mixed + Self.chunk
        var start = 0
        while start < count {
            let n = min(Self.chunk, count - start)
            let b = base.baseAddress! + start
            for m in 0..<modelCount {
                let x = models[m].baseAddress! + start, w = weights[m]
                let d = scratch.baseAddress! + m * Self.chunk
                let t = keeps[m].threshold
                if t < 0 {
                    for i in 0..<n { d[i] = (x[i] - b[i]) * w }
                    continue
                }
                var equal = 0
                for i in 0..<n {
                    let v = x[i] - b[i]
                    let a = abs(v)
                    d[i] = (a > t ? v : 0) * w
                    equal &+= a == t ? 1 : 0
                }
                // Entries equal to the threshold are kept lowest index first while the quota lasts (rare: exact ties).
                if equal > 0 && keeps[m].ties > 0 {
                    for i in 0..<n where keeps[m].ties > 0 {
                        let v = x[i] - b[i]
                        if abs(v) == t { d[i] = v * w; keeps[m].ties -= 1 }
                    }
                }
            }
            let out = output.baseAddress! + start
            guard let consensus else {
                for i in 0..<n { total[i] = 0 }
                for m in 0..<modelCount {
                    let d = scratch.baseAddress! + m * Self.chunk
                    for i in 0..<n { total[i] += d[i] }
                }
                for i in 0..<n { out[i] = b[i] + finish(total[i], divisor: plainDivisor) }
                start += n
                continue
            }
            for i in 0..<n { total[i] = 0; mixed[i] = 0; divisor[i] = 0 }
            for m in 0..<modelCount {
                let d = scratch.baseAddress! + m * Self.chunk
                if consensus == .sum {
                    for i in 0..<n { total[i] += d[i] }
                } else {
                    for i in 0..<n { total[i] += d[i] > 0 ? 1 : (d[i] < 0 ? -1 : 0) }
                }
            }
            // The elected sign is + when the total is ≥ 0 (mergekit); a delta agrees when it is non-zero with that sign.
            for m in 0..<modelCount {
                let d = scratch.baseAddress! + m * Self.chunk, w = weights[m]
                for i in 0..<n {
                    let agrees = total[i] >= 0 ? d[i] > 0 : d[i] < 0
                    mixed[i] += agrees ? d[i] : 0
                    divisor[i] += agrees ? w : 0
                }
            }
            for i in 0..<n {
                let dv = divisor[i] == 0 ? 1 : divisor[i]
                out[i] = b[i] + finish(mixed[i], divisor: dv)
            }
            start += n
        }
    }

    /// The k largest |θ − base| (k ≥ 1) as the general path's stable selection keeps them.
    static func keepLargest(_ k: Int, model: UnsafeBufferPointer<Float>, base: UnsafeBufferPointer<Float>) -> Keep {
        let (threshold, above) = Sparsifier.kthLargestMagnitude(count: model.count, k - 1) { abs(model[$0] - base[$0]) }
        return Keep(threshold: threshold, ties: k - above)
    }

    @inline(__always)
    private func finish(_ mixed: Float, divisor: Float) -> Float {
        var x = mixed
        if normalize { x /= divisor }
        if lambda != 1 { x *= lambda }
        return x
    }

}
