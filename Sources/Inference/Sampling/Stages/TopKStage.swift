// Top-k: keeps the k highest logits (ties to the lower id), sorted, by partial selection.

struct TopKStage: SamplingStage {
    let k: Int

    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        // k >= the list is top-k in name only; sorting the whole vocabulary would buy nothing.
        guard k > 0 && k < candidates.count else { return }
        candidates.keepBest(k)
    }
}
