// Temperature: divides the logits, sharpening (< 1) or flattening (> 1) the softmax that follows.

struct TemperatureStage: SamplingStage {
    let temperature: Float

    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        guard temperature != 1 && temperature > 0 else { return }
        let c = candidates.storage
        // Softmax ignores a common shift, so scale distances from the best logit: with a tiny temperature the
        // best stays at 0 and the rest head to -inf, instead of every positive logit overflowing to +inf alike.
        var maxLogit = -Float.infinity
        for i in 0..<candidates.count where c[i].logit > maxLogit { maxLogit = c[i].logit }
        let shift = maxLogit.isFinite ? maxLogit : 0
        for i in 0..<candidates.count { c[i].logit = (c[i].logit - shift) / temperature }
        candidates.hasProbabilities = false
    }
}
