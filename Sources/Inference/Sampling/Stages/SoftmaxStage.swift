// Softmax over the candidates' logits into their probabilities, keeping the order.
import Foundation

struct SoftmaxStage: SamplingStage {
    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        let c = candidates.storage
        var maxLogit = -Float.infinity
        for i in 0..<candidates.count where c[i].logit > maxLogit { maxLogit = c[i].logit }
        guard maxLogit > -.infinity else {
            // Every token is impossible (a broken model): give the first all the mass rather than NaNs.
            for i in 0..<candidates.count { c[i].probability = i == 0 ? 1 : 0 }
            candidates.hasProbabilities = true
            return
        }
        // The sum runs over up to the whole vocabulary; Double keeps 49k small terms from losing the tail.
        var sum: Double = 0
        for i in 0..<candidates.count {
            let e = expf(c[i].logit - maxLogit)
            c[i].probability = e
            sum += Double(e)
        }
        let scale = Float(1 / sum)
        for i in 0..<candidates.count { c[i].probability *= scale }
        candidates.hasProbabilities = true
    }
}
