// Top-p (nucleus): keeps the fewest most likely tokens whose probabilities sum to at least p.

struct TopPStage: SamplingStage {
    let p: Float
    /// The nucleus is searched among tokens with probability >= threshold; each retry lowers it by this factor.
    static let thresholdStep: Float = 1e-3

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

    /// Sorting 49k probabilities every token is too slow; instead find a threshold t whose tokens (p_i >= t)
    /// already hold mass >= p. The nucleus is a best-first prefix, so it lies inside that set, and only the set
    /// (typically a few hundred tokens) is sorted.
    private func shortlist(_ candidates: inout CandidateList) {
        let c = candidates.storage
        var maxProbability: Float = 0
        for i in 0..<candidates.count where c[i].probability > maxProbability { maxProbability = c[i].probability }
        var threshold = maxProbability * Self.thresholdStep
        while threshold > 0 {
            var mass: Float = 0
            for i in 0..<candidates.count where c[i].probability >= threshold { mass += c[i].probability }
            if mass >= p { break }
            threshold *= Self.thresholdStep
        }
        if threshold > 0 {
            let t = threshold
            candidates.filter { $0.probability >= t }
        }
        candidates.keepBest(candidates.count)
    }
}
