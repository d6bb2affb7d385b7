// Picks the next token from a row of logits by running the sampling chain:
// penalties -> top-k -> temperature -> softmax -> top-p -> min-p -> draw (or argmax when temperature is 0).
import Foundation
import Quant

/// One sampler per generated sequence: it owns the random state and scratch sized to the vocabulary, allocated
/// once, so a step allocates nothing unless logprobs are requested (the returned array).
///
/// Reproducibility: a seed fixes every draw (xoshiro256**, exact 53-bit uniforms, a fixed order of summation), so
/// the same seed, parameters and logits give the same tokens on every run. Across platforms the one loose end is
/// libm's `expf`, which may differ in the last bit; that moves a choice only when a draw lands within that bit of
/// a boundary between two tokens.
///
/// Logprobs are the log-softmax of the model's raw logits, before penalties, temperature and truncation. That is
/// what llama.cpp's server reports by default (`post_sampling_probs: false`) and what OpenAI documents as the
/// token's log probability: a property of the model's prediction, not of the knobs, so a token the chain could
/// never pick still gets a finite value and the numbers stay comparable across temperatures.
public final class Sampler: @unchecked Sendable {
    // @unchecked Sendable: a sampler serves one sequence; its step mutates scratch and the random state, and the
    // generation loop that owns it never calls it from two threads at once.
    public let parameters: SamplingParameters
    public let vocabularySize: Int
    /// The seed in use: the requested one, or the one drawn when the request gave none (to log or report).
    public let seed: UInt64

    private var random: Xoshiro256StarStar
    private let scratch: AlignedBuffer<Candidate>       // (vocab) the candidate list of one step
    private let alternatives: AlignedBuffer<Candidate>  // (topLogprobs) heap for the most likely raw tokens
    private let penalties: PenaltyStage
    /// The stages after the penalties, for non-greedy sampling.
    private let chain: [any SamplingStage]

    public init(vocabularySize: Int, parameters: SamplingParameters) throws(SamplingError) {
        try parameters.validate()
        guard vocabularySize > 0 else { throw .invalidVocabularySize(vocabularySize) }
        self.parameters = parameters
        self.vocabularySize = vocabularySize
        var system = SystemRandomNumberGenerator()
        seed = parameters.seed ?? system.next()
        random = Xoshiro256StarStar(seed: seed)
        scratch = AlignedBuffer(count: vocabularySize)
        alternatives = AlignedBuffer(count: parameters.topLogprobs)
        penalties = PenaltyStage(parameters: parameters, vocabularySize: vocabularySize)
        chain = [
            TopKStage(k: parameters.topK),
            TemperatureStage(temperature: parameters.temperature),
            SoftmaxStage(),
            TopPStage(p: parameters.topP),
            MinPStage(minP: parameters.minP),
        ]
    }

    /// Greedy when the temperature is 0: no randomness, no truncation, the best logit after penalties.
    public var isGreedy: Bool { parameters.temperature == 0 }

    /// Picks the next token. `logits` (one row of `vocabularySize`) is only read; `history` is prompt + output so
    /// far (append the returned id to it before the next step).
    public func sample(logits: UnsafeBufferPointer<Float>, history: TokenHistory) throws(SamplingError) -> SampledToken {
        guard logits.count == vocabularySize else {
            throw .logitCountMismatch(expected: vocabularySize, got: logits.count)
        }
        var candidates = CandidateList(storage: scratch.pointer, logits: logits)
        if penalties.isActive { penalties.apply(to: &candidates, history: history) }
        let id: Int32
        if isGreedy {
            id = candidates.best().id
        } else {
            for stage in chain { stage.apply(to: &candidates, history: history) }
            id = draw(from: candidates)
        }
        guard parameters.logprobs else { return SampledToken(id: id) }
        return reportLogprobs(chosen: id, logits: logits)
    }

    public func sample(logits: UnsafeMutableBufferPointer<Float>, history: TokenHistory) throws(SamplingError) -> SampledToken {
        try sample(logits: UnsafeBufferPointer(logits), history: history)
    }

    /// One draw from the remaining candidates in proportion to their probabilities (renormalized implicitly by
    /// scaling the uniform number by their total).
    private func draw(from candidates: CandidateList) -> Int32 {
        let c = candidates.storage
        var total: Double = 0
        for i in 0..<candidates.count { total += Double(c[i].probability) }
        let target = random.nextUnit() * total
        var cumulative: Double = 0
        for i in 0..<candidates.count {
            cumulative += Double(c[i].probability)
            if target < cumulative { return c[i].id }
        }
        // Only reachable through rounding when target lands at the very top: the last candidate owns that edge.
        return c[candidates.count - 1].id
    }

    private func reportLogprobs(chosen: Int32, logits: UnsafeBufferPointer<Float>) -> SampledToken {
        let logSumExp = Self.logSumExp(logits)
        let kept = CandidateSelection.best(of: logits, count: parameters.topLogprobs, into: alternatives.buffer)
        var top: [TokenLogprob] = []
        top.reserveCapacity(kept)
        for i in 0..<kept {
            top.append(TokenLogprob(id: alternatives[i].id, logprob: Float(Double(alternatives[i].logit) - logSumExp)))
        }
        return SampledToken(id: chosen, logprob: Float(Double(logits[Int(chosen)]) - logSumExp), topLogprobs: top)
    }

    /// log Σ exp(x), shifted by the maximum so no term overflows.
    static func logSumExp(_ x: UnsafeBufferPointer<Float>) -> Double {
        var maxValue = -Float.infinity
        for v in x where v > maxValue { maxValue = v }
        guard maxValue.isFinite else { return Double(maxValue) }
        var sum: Double = 0
        for v in x { sum += Double(expf(v - maxValue)) }
        return Double(maxValue) + log(sum)
    }
}
