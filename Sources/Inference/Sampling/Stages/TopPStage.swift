// Top-p (nucleus): keeps the fewest most likely tokens whose probabilities sum to at least p.

struct TopPStage: SamplingStage {
    let p: Float
    /// Shortlist buckets: tokens are binned by how far their logit lies below the best, in steps of this many nats.
    static let bucketWidth: Float = 0.5
    /// 64 half-nat buckets reach e^-32 ≈ 1e-14 of the best token's probability; the last bucket takes the rest.
    static let bucketCount = 64

    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        guard p < 1 else { return }
        precondition(candidates.hasProbabilities, "TopPStage needs the softmax stage before it")
        if !candidates.isSorted { shortlist(&candidates) }
        var cumulative: Float = 0
        for i in 0..<candidates.count {
            cumulative += candidates.storage[i].probability
            if cumulative >= p {
                candidates.truncate(to: i + 1)
                return
            }
        }
    }

    /// Sorting 49k probabilities every token is too slow. One pass bins the probability mass by distance below
    /// the best logit; the nucleus is a best-first prefix, so it lies within the nearest buckets that hold mass
    /// >= p, and only their tokens (plus one bucket of slack for rounding) are kept and sorted.
    private func shortlist(_ candidates: inout CandidateList) {
        let c = candidates.storage
        var maxLogit = -Float.infinity
        for i in 0..<candidates.count where c[i].logit > maxLogit { maxLogit = c[i].logit }
        guard maxLogit.isFinite else {
            candidates.keepBest(candidates.count)
            return
        }
        let top = maxLogit
        func bucket(_ logit: Float) -> Int {
            let distance = (top - logit) / Self.bucketWidth
            return distance < Float(Self.bucketCount - 1) ? Int(distance) : Self.bucketCount - 1
        }
        let lastKept: Int = withUnsafeTemporaryAllocation(of: Double.self, capacity: Self.bucketCount) { mass in
            mass.initialize(repeating: 0)
            for i in 0..<candidates.count { mass[bucket(c[i].logit)] += Double(c[i].probability) }
            var cumulative: Double = 0
            for b in 0..<Self.bucketCount {
                cumulative += mass[b]
                if cumulative >= Double(p) { return min(b + 1, Self.bucketCount - 1) }
            }
            return Self.bucketCount - 1
        }
        if lastKept < Self.bucketCount - 1 {
            candidates.filter { bucket($0.logit) <= lastKept }
        }
        candidates.keepBest(candidates.count)
    }
}
