// Min-p: drops tokens less likely than minP times the most likely one, so the cut adapts to the model's confidence.

struct MinPStage: SamplingStage {
    let minP: Float

    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        guard minP > 0 else { return }
        precondition(candidates.hasProbabilities, "MinPStage needs the softmax stage before it")
        let c = candidates.storage
        var maxProbability: Float = 0
        for i in 0..<candidates.count where c[i].probability > maxProbability { maxProbability = c[i].probability }
        let threshold = minP * maxProbability
        if candidates.isSorted {
            var kept = 1  // the most likely token always survives
            while kept < candidates.count && c[kept].probability >= threshold { kept += 1 }
            candidates.truncate(to: kept)
        } else {
            candidates.filter { $0.probability >= threshold }
        }
    }
}
