// Dropping entries of a task vector before it is merged: by magnitude, at random, a magnitude band, or DELLA.

/// mergekit's SparsificationMethod.
public enum Sparsification: Sendable, Equatable {
    /// Keep the `density` fraction of largest magnitudes (TIES).
    case magnitude
    /// Keep each entry with probability `density` (DARE).
    case random
    /// Drop the `gamma` fraction of largest magnitudes and the smallest, keeping a band of `density` (breadcrumbs).
    case magnitudeOutliers
    /// Keep with probability rising with magnitude rank inside each row, density ± epsilon (DELLA's MagPrune).
    case rankedRandom
}

struct SparsifyOptions {
    var density: Double
    var gamma: Double
    var epsilon: Double
    /// mergekit rescales the kept entries so the task vector's L1 norm is unchanged, ‖δ‖₁ / ‖masked δ‖₁ —
    /// not by 1/density as the DARE and DELLA papers write.
    var rescale: Bool
}

enum Sparsifier {
    /// Sparsifies `delta` in place. Density 1 leaves it untouched for every kind, as in mergekit.
    static func apply(_ kind: Sparsification, to delta: UnsafeMutableBufferPointer<Float>, shape: [Int],
                      options: SparsifyOptions, random: inout MergeRandom) {
        guard options.density < 1, delta.count > 0 else { return }
        var keep = [Bool](repeating: false, count: delta.count)
        switch kind {
        case .magnitude:
            keepLargest(max(1, Int(options.density * Double(delta.count))), of: delta, keep: &keep)
        case .magnitudeOutliers:
            let n = delta.count
            let target = Int(options.density * Double(n))
            let top = Int(options.gamma * Double(n))
            // When density + gamma > 1 fewer outliers are dropped so the band still holds `target` entries.
            let bottom = max(0, n - target - top)
            let ascending = orderByMagnitude(delta, descending: false)
            for i in ascending[bottom..<min(n, bottom + target)] { keep[i] = true }
        case .random:
            let p = Float(options.density)
            for i in 0..<delta.count { keep[i] = random.bernoulli(p) }
        case .rankedRandom:
            rankedRandomMask(delta, shape: shape, options: options, random: &random, keep: &keep)
        }
        applyMask(keep, to: delta, rescale: options.rescale)
    }

    /// Marks the `k` largest |δ| exactly as the stable descending sort's first k would (ties at the threshold go to
    /// the lowest indices), but in O(n): sorting every index of a 28M-entry embedding per model made TIES on a
    /// 135M model take minutes.
    private static func keepLargest(_ k: Int, of delta: UnsafeMutableBufferPointer<Float>, keep: inout [Bool]) {
        let threshold = kthLargestMagnitude(UnsafeBufferPointer(delta), k - 1)
        var remaining = k
        for i in 0..<delta.count where abs(delta[i]) > threshold {
            keep[i] = true
            remaining -= 1
        }
        var i = 0
        while remaining > 0 && i < delta.count {
            if abs(delta[i]) == threshold {
                keep[i] = true
                remaining -= 1
            }
            i += 1
        }
    }

    /// The |x| at position `k` (0-based) of the magnitudes sorted in descending order. Radix selection on the
    /// bits: non-negative floats order like their bit patterns, so two 16-bit histogram passes find it exactly.
    static func kthLargestMagnitude(_ values: UnsafeBufferPointer<Float>, _ k: Int) -> Float {
        kthLargestMagnitude(count: values.count, k) { abs(values[$0]) }.threshold
    }

    /// The same for magnitudes computed on the fly (`magnitude(i)` ≥ 0), with how many entries are strictly larger.
    @inline(__always)
    static func kthLargestMagnitude(count: Int, _ k: Int, _ magnitude: (Int) -> Float) -> (threshold: Float, above: Int) {
        precondition(k >= 0 && k < count, "kthLargestMagnitude: k out of range")
        let histogram = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1 << 16)
        defer { histogram.deallocate() }
        var remaining = k
        func select() -> UInt32 {
            var bin = (1 << 16) - 1
            while histogram[bin] <= remaining { remaining -= histogram[bin]; bin -= 1 }
            return UInt32(bin)
        }
        histogram.initialize(repeating: 0)
        for i in 0..<count { histogram[Int(magnitude(i).bitPattern >> 16)] += 1 }
        let high = select()
        histogram.initialize(repeating: 0)
        for i in 0..<count {
            let bits = magnitude(i).bitPattern
            if bits >> 16 == high { histogram[Int(bits & 0xFFFF)] += 1 }
        }
        let low = select()
        // `remaining` is now k minus the entries above the threshold.
        return (Float(bitPattern: high << 16 | low), k - remaining)
    }

    /// Indices sorted by |δ|; stable, so equal magnitudes keep index order (torch leaves that order unspecified).
    private static func orderByMagnitude(_ delta: UnsafeMutableBufferPointer<Float>, descending: Bool) -> [Int] {
        Array(0..<delta.count).sorted { a, b in
            let x = abs(delta[a]), y = abs(delta[b])
            if x != y { return descending ? x > y : x < y }
            return a < b
        }
    }

    /// DELLA ranks magnitudes within each row (dim 1 of a matrix; a vector is one row): the smallest gets
    /// probability density − ε, the largest density + ε, linearly in rank between.
    private static func rankedRandomMask(_ delta: UnsafeMutableBufferPointer<Float>, shape: [Int],
                                         options: SparsifyOptions, random: inout MergeRandom, keep: inout [Bool]) {
        let rows = shape.count >= 2 ? shape[0] : 1
        let columns = delta.count / max(rows, 1)
        let low = Float(options.density - options.epsilon)
        let span = 2 * Float(options.epsilon)
        for r in 0..<rows {
            let row = UnsafeMutableBufferPointer(rebasing: delta[(r * columns)..<((r + 1) * columns)])
            let order = orderByMagnitude(row, descending: false)
            for (rank, i) in order.enumerated() {
                let normalized = columns > 1 ? Float(rank) / Float(columns - 1) : 0.5
                keep[r * columns + i] = random.bernoulli(low + normalized * span)
            }
        }
    }

    private static func applyMask(_ keep: [Bool], to delta: UnsafeMutableBufferPointer<Float>, rescale: Bool) {
        guard rescale else {
            for i in 0..<delta.count where !keep[i] { delta[i] = 0 }
            return
        }
        var before: Double = 0
        var after: Double = 0
        for i in 0..<delta.count {
            before += Double(abs(delta[i]))
            if keep[i] { after += Double(abs(delta[i])) } else { delta[i] = 0 }
        }
        // mergekit leaves near-zero task vectors unscaled rather than divide by ~0.
        guard before >= 1e-7, after >= 1e-7 else { return }
        let scale = Float(before) / Float(after)
        for i in 0..<delta.count { delta[i] *= scale }
    }
}
