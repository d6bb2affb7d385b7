// Temperature: divides the logits, sharpening (< 1) or flattening (> 1) the softmax that follows.

struct TemperatureStage: SamplingStage {
    let temperature: Float

    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        guard temperature != 1 && temperature > 0 else { return }
        for i in 0..<candidates.count { candidates.storage[i].logit /= temperature }
        candidates.hasProbabilities = false
    }
}
