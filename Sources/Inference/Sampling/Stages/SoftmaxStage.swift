// Softmax over the candidates' logits into their probabilities, keeping the order.
import Foundation
import Quant

struct SoftmaxStage: SamplingStage {
    func apply(to candidates: inout CandidateList, history: TokenHistory) {
        let c = candidates.storage
        var maxLogit = -Float.infinity
        for i in 0..<candidates.count where c[i].logit > maxLogit { maxLogit = c[i].logit }
        guard maxLogit.isFinite else {
            // A broken row (all -inf, or +inf somewhere) would give NaNs; share the mass among the best instead.
            var best = 0
            for i in 0..<candidates.count where c[i].logit == maxLogit { best += 1 }
            for i in 0..<candidates.count { c[i].probability = c[i].logit == maxLogit ? 1 / Float(best) : 0 }
            candidates.hasProbabilities = true
            return
        }
        // The sum runs over up to the whole vocabulary; Double keeps 49k small terms from losing the tail.
        var sum: Double = 0
        if SoftmaxNumerators.usesAVX2 && candidates.count >= 64 {
            sum = Self.numeratorsAVX2(c, count: candidates.count, maxLogit: maxLogit)
        } else {
            for i in 0..<candidates.count {
                // expf is exactly 0 below ~-103.97, but glibc gets there through its slow underflow path.
                let d = c[i].logit - maxLogit
                let e = d < -104 ? 0 : expf(d)
                c[i].probability = e
                sum += Double(e)
            }
        }
        let scale = Float(1 / sum)
        for i in 0..<candidates.count { c[i].probability *= scale }
        candidates.hasProbabilities = true
    }

    /// The exponentials of a whole vocabulary eight at a time (one expf each was ~4% of an 8-client server).
    static func numeratorsAVX2(_ c: UnsafeMutablePointer<Candidate>, count: Int, maxLogit: Float) -> Double {
        let stride = MemoryLayout<Candidate>.stride
        precondition(stride % MemoryLayout<Float>.stride == 0, "candidates must be whole floats apart")
        let raw = UnsafeMutableRawPointer(c)
        let logits = (raw + MemoryLayout<Candidate>.offset(of: \.logit)!).assumingMemoryBound(to: Float.self)
        let probabilities = (raw + MemoryLayout<Candidate>.offset(of: \.probability)!).assumingMemoryBound(to: Float.self)
        return SoftmaxNumerators.avx2(logits: logits, probabilities: probabilities,
                                      stride: stride / MemoryLayout<Float>.stride, count: count, maxLogit: maxLogit)
    }
}
