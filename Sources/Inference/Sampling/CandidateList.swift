// The tokens still in the running during one sampling step (llama.cpp's llama_token_data_array), kept in a
// scratch buffer the Sampler allocates once; stages narrow and rescale it in place.

struct Candidate: Equatable {
    var id: Int32
    var logit: Float
    /// Valid once the softmax stage has run; probabilities are not renormalized when later stages drop tokens.
    var probability: Float

    /// The chain's one ordering: higher logit first, and on equal logits the lower id, so ties break the same way
    /// everywhere (greedy, top-k, top-p).
    @inline(__always) func ranksAbove(_ other: Candidate) -> Bool {
        logit > other.logit || (logit == other.logit && id < other.id)
    }
}

struct CandidateList {
    let storage: UnsafeMutablePointer<Candidate>
    var count: Int
    /// Candidates are ordered best first (by `ranksAbove`).
    var isSorted = false
    /// `probability` holds the softmax of the logits.
    var hasProbabilities = false
    /// Candidate i is token i: the list is fresh from the logits and nothing has been dropped or moved, so a token
    /// can be found by id without searching (what the penalty stage relies on).
    var isIndexedByID = false

    var buffer: UnsafeMutableBufferPointer<Candidate> { UnsafeMutableBufferPointer(start: storage, count: count) }

    /// Fills the list with every token of `logits`. NaN logits (a broken model) become -inf so ordering stays total.
    init(storage: UnsafeMutablePointer<Candidate>, logits: UnsafeBufferPointer<Float>) {
        self.storage = storage
        count = logits.count
        for i in 0..<logits.count {
            let logit = logits[i]
            storage[i] = Candidate(id: Int32(i), logit: logit.isNaN ? -.infinity : logit, probability: 0)
        }
        isIndexedByID = true
    }

    /// The best candidate by logit; ties go to the lowest id.
    func best() -> Candidate {
        var best = storage[0]
        for i in 1..<max(count, 1) where storage[i].ranksAbove(best) { best = storage[i] }
        return best
    }

    /// Keeps the first `newCount` candidates.
    mutating func truncate(to newCount: Int) {
        count = min(count, max(newCount, 1))
        isIndexedByID = false
    }

    /// Keeps the candidates that satisfy `keep`, in their current order.
    mutating func filter(_ keep: (Candidate) -> Bool) {
        var kept = 0
        for i in 0..<count where keep(storage[i]) {
            storage[kept] = storage[i]
            kept += 1
        }
        if kept < count { isIndexedByID = false }
        count = max(kept, 1)
    }

    /// Moves the `k` best candidates to the front, best first, and drops the rest.
    mutating func keepBest(_ k: Int) {
        CandidateSelection.moveBestToFront(buffer, count: k)
        count = min(k, count)
        isSorted = true
        isIndexedByID = false
    }
}
