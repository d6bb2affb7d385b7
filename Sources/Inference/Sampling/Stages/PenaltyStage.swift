// Repetition (CTRL / HF / llama.cpp) and presence/frequency (OpenAI) penalties, applied to the raw logits.

final class PenaltyStage: SamplingStage {
    let repetitionPenalty: Float
    let lastN: Int
    let presencePenalty: Float
    let frequencyPenalty: Float
    /// stamps[token] == stamp marks a token already penalized this step, so a token repeated in the window is
    /// divided once (as in HF and llama.cpp), without a per-step set.
    private let stamps: UnsafeMutableBufferPointer<UInt32>
    private var stamp: UInt32 = 0

    init(parameters p: SamplingParameters, vocabularySize: Int) {
        repetitionPenalty = p.repetitionPenalty
        lastN = p.penaltyLastN
        presencePenalty = p.presencePenalty
        frequencyPenalty = p.frequencyPenalty
        stamps = .allocate(capacity: vocabularySize)
        stamps.initialize(repeating: 0)
    }

    deinit { stamps.deallocate() }

    var isActive: Bool { (repetitionPenalty != 1 && lastN != 0) || presencePenalty != 0 || frequencyPenalty != 0 }

    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        // Penalties look tokens up by id; they must run first, on the untouched list.
        precondition(candidates.isIndexedByID, "PenaltyStage must be the first stage of the chain")
        let tokens = candidates.storage
        let size = candidates.count
        if repetitionPenalty != 1 && lastN != 0 {
            nextStamp()
            for token in history.recent(lastN) {
                let t = Int(token)
                // Ids outside the vocabulary never got past the forward pass; skip rather than trap.
                guard t >= 0 && t < size && stamps[t] != stamp else { continue }
                stamps[t] = stamp
                let logit = tokens[t].logit
                // Dividing a negative logit would raise it; CTRL multiplies those instead so both move down.
                tokens[t].logit = logit > 0 ? logit / repetitionPenalty : logit * repetitionPenalty
            }
        }
        if presencePenalty != 0 || frequencyPenalty != 0 {
            for (token, occurrences) in history.generatedCounts {
                let t = Int(token)
                guard t >= 0 && t < size && occurrences > 0 else { continue }
                tokens[t].logit -= presencePenalty + frequencyPenalty * Float(occurrences)
            }
        }
    }

    private func nextStamp() {
        stamp &+= 1
        if stamp == 0 {  // wrapped after 4 billion steps: old marks would collide, so clear them
            stamps.update(repeating: 0)
            stamp = 1
        }
    }
}
