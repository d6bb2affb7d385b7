// The sampling chain on hand-made logits: each stage's kept set, the penalties' formulas, seeded reproducibility,
// the empirical distribution, logprobs and parameter validation.
import Foundation
import Testing
@testable import Inference

/// Max |empirical frequency − softmax probability| allowed over 100,000 draws: 7 standard deviations of the worst
/// case (p = 0.5, σ ≈ 0.0016), so a correct sampler fails with negligible probability but a biased one does not pass.
let empiricalFrequencyTolerance = 0.011
/// Chi-square critical value at significance 0.001 for 7 degrees of freedom (8 tokens).
let chiSquareCritical7DoF = 24.32
/// Logprobs are computed in Double from f32 logits; this is their allowed f32 rounding.
let logprobTolerance: Float = 1e-5

/// Parameters with every truncation off, so the draw follows softmax(logits / temperature) exactly.
func plainSampling(temperature: Float = 1, seed: UInt64 = 1) -> SamplingParameters {
    var p = SamplingParameters()
    p.temperature = temperature
    p.topK = 0
    p.topP = 1
    p.minP = 0
    p.seed = seed
    return p
}

func sample(_ logits: [Float], _ parameters: SamplingParameters, history: TokenHistory = TokenHistory()) throws -> SampledToken {
    let sampler = try Sampler(vocabularySize: logits.count, parameters: parameters)
    return try logits.withUnsafeBufferPointer { try sampler.sample(logits: $0, history: history) }
}

/// Runs `body` on a candidate list made from `logits` and returns the ids left, in list order.
func survivors(of logits: [Float], _ body: (inout CandidateList) -> Void) -> [Int32] {
    var storage = [Candidate](repeating: Candidate(id: -1, logit: 0, probability: 0), count: logits.count)
    return storage.withUnsafeMutableBufferPointer { buffer in
        logits.withUnsafeBufferPointer { l in
            var list = CandidateList(storage: buffer.baseAddress!, logits: l)
            body(&list)
            return (0..<list.count).map { list.storage[$0].id }
        }
    }
}

func softmax(_ logits: [Float]) -> [Double] {
    let m = Double(logits.max()!)
    let e = logits.map { exp(Double($0) - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

/// Probabilities 0.5, 0.2, 0.15, 0.1, 0.05 on ids 3, 0, 4, 1, 2 (shuffled so order is not a given).
let shuffledLogits: [Float] = [0.2, 0.1, 0.05, 0.5, 0.15].map { Float(log($0)) }

@Suite struct SamplingTests {
    // MARK: Greedy and top-k

    @Test func greedyPicksTheLargestLogit() throws {
        let token = try sample([0.1, 3, -1, 2.9], .greedy)
        #expect(token.id == 1)
    }

    @Test func greedyBreaksTiesTowardTheLowestID() throws {
        #expect(try sample([1, 5, 5, 2, 5], .greedy).id == 1)
        #expect(try sample([-.infinity, -.infinity, -.infinity], .greedy).id == 0)
    }

    @Test func topKOfOneEqualsGreedy() throws {
        var random = Xoshiro256StarStar(seed: 7)
        for trial in 0..<50 {
            // Coarse values so ties happen often.
            let logits = (0..<64).map { _ in Float(Int.random(in: 0..<20, using: &random)) / 4 }
            var p = plainSampling(seed: UInt64(trial))
            p.topK = 1
            #expect(try sample(logits, p).id == sample(logits, .greedy).id)
        }
    }

    @Test func tinyTemperatureStillPicksTheBestToken() throws {
        // 5 / 1e-38 overflows f32; scaling distances from the best keeps the best at 0 and the rest at -inf.
        for seed: UInt64 in 0..<20 {
            #expect(try sample([1, 5, 4.9, -3], plainSampling(temperature: 1e-38, seed: seed)).id == 1)
        }
    }

    @Test func brokenLogitRowsStillSample() throws {
        #expect(try sample([0, .infinity, 2], plainSampling()).id == 1)
        #expect(try sample([.nan, 1, .nan], plainSampling()).id == 1)
        let all = try sample([-.infinity, -.infinity], plainSampling())
        #expect(all.id == 0 || all.id == 1)
    }

    @Test func topKKeepsTheKBestSortedWithTiesToLowerIDs() {
        let kept = survivors(of: [1, 4, 2, 4, 3, 0]) { TopKStage(k: 3).apply(to: &$0, history: TokenHistory()) }
        #expect(kept == [1, 3, 4])
        let all = survivors(of: [1, 4, 2]) { TopKStage(k: 10).apply(to: &$0, history: TokenHistory()) }
        #expect(all == [0, 1, 2])
    }

    // MARK: Top-p and min-p

    @Test func topPKeepsTheSmallestPrefixReachingP() {
        // Cumulative 0.5, 0.7, 0.85 ≥ 0.8: ids 3, 0, 4. Unsorted input exercises the shortlist path.
        let unsorted = survivors(of: shuffledLogits) { list in
            SoftmaxStage().apply(to: &list, history: TokenHistory())
            TopPStage(p: 0.8).apply(to: &list, history: TokenHistory())
        }
        #expect(unsorted == [3, 0, 4])
        let sorted = survivors(of: shuffledLogits) { list in
            TopKStage(k: 4).apply(to: &list, history: TokenHistory())
            SoftmaxStage().apply(to: &list, history: TokenHistory())
            TopPStage(p: 0.8).apply(to: &list, history: TokenHistory())
        }
        #expect(sorted == [3, 0, 4])
        let single = survivors(of: shuffledLogits) { list in
            SoftmaxStage().apply(to: &list, history: TokenHistory())
            TopPStage(p: 0.4).apply(to: &list, history: TokenHistory())
        }
        #expect(single == [3])
    }

    @Test func topPShortlistMatchesAFullSortOnAVocabularySizedList() {
        var random = Xoshiro256StarStar(seed: 99)
        let logits = (0..<49_152).map { _ in Float(random.nextUnit() * 12 - 6) }
        for p: Float in [0.5, 0.9, 0.95, 0.999] {
            let kept = survivors(of: logits) { list in
                SoftmaxStage().apply(to: &list, history: TokenHistory())
                TopPStage(p: p).apply(to: &list, history: TokenHistory())
            }
            // Reference: sort everything, accumulate the same f32 probabilities.
            var storage = [Candidate](repeating: Candidate(id: 0, logit: 0, probability: 0), count: logits.count)
            let reference: [Int32] = storage.withUnsafeMutableBufferPointer { buffer in
                logits.withUnsafeBufferPointer { l in
                    var list = CandidateList(storage: buffer.baseAddress!, logits: l)
                    SoftmaxStage().apply(to: &list, history: TokenHistory())
                    let all = Array(list.buffer).sorted { $0.ranksAbove($1) }
                    var sum: Float = 0
                    var ids: [Int32] = []
                    for c in all {
                        ids.append(c.id)
                        sum += c.probability
                        if sum >= p { break }
                    }
                    return ids
                }
            }
            #expect(kept == reference, "top_p \(p)")
            #expect(kept.count > 1 && kept.count < logits.count)
        }
    }

    @Test func minPKeepsTokensAtLeastMinPTimesTheMostLikely() {
        for presorted in [false, true] {
            func kept(_ minP: Float) -> Set<Int32> {
                Set(survivors(of: shuffledLogits) { list in
                    if presorted { TopKStage(k: 4).apply(to: &list, history: TokenHistory()) }
                    SoftmaxStage().apply(to: &list, history: TokenHistory())
                    MinPStage(minP: minP).apply(to: &list, history: TokenHistory())
                })
            }
            #expect(kept(0.25) == [3, 0, 4])   // threshold 0.125
            #expect(kept(0.35) == [3, 0])      // threshold 0.175
            #expect(kept(1) == [3])            // only the most likely survives
            #expect(kept(0.01) == (presorted ? [3, 0, 4, 1] : [0, 1, 2, 3, 4]))
        }
    }

    @Test func drawsStayInsideTheTruncatedSet() throws {
        var p = plainSampling(seed: 5)
        p.topP = 0.8
        let sampler = try Sampler(vocabularySize: shuffledLogits.count, parameters: p)
        var seen: Set<Int32> = []
        for _ in 0..<2_000 {
            seen.insert(try shuffledLogits.withUnsafeBufferPointer { try sampler.sample(logits: $0, history: TokenHistory()) }.id)
        }
        #expect(seen == [3, 0, 4])
    }

    // MARK: Penalties

    @Test func penaltiesFollowTheExactFormulas() {
        var p = SamplingParameters()
        p.repetitionPenalty = 1.5
        p.penaltyLastN = 4
        p.presencePenalty = 0.5
        p.frequencyPenalty = 0.25
        var history = TokenHistory(prompt: [0, 1])
        for t: Int32 in [3, 3, 4] { history.append(t) }
        // Window (last 4 of 0 1 3 3 4) = 1 3 3 4; generated counts {3: 2, 4: 1}.
        let logits: [Float] = [2, -1, 0.5, 3, -2]
        var storage = [Candidate](repeating: Candidate(id: 0, logit: 0, probability: 0), count: logits.count)
        let penalized: [Float] = storage.withUnsafeMutableBufferPointer { buffer in
            logits.withUnsafeBufferPointer { l in
                var list = CandidateList(storage: buffer.baseAddress!, logits: l)
                PenaltyStage(parameters: p, vocabularySize: logits.count).apply(to: &list, history: history)
                return (0..<list.count).map { list.storage[$0].logit }
            }
        }
        #expect(penalized[0] == 2)                          // outside the window
        #expect(penalized[1] == -1 * 1.5)                   // negative: multiplied
        #expect(penalized[2] == 0.5)                        // never seen
        #expect(penalized[3] == 3 / 1.5 - 0.5 - 0.25 * 2)   // divided once although twice in the window
        #expect(penalized[4] == -2 * 1.5 - 0.5 - 0.25 * 1)
    }

    @Test func repetitionWindowCoversPromptAndOutput() {
        func penalized(lastN: Int) -> [Float] {
            var p = SamplingParameters()
            p.repetitionPenalty = 2
            p.penaltyLastN = lastN
            var history = TokenHistory(prompt: [0])
            history.append(1)
            let logits: [Float] = [4, 4, 4]
            var storage = [Candidate](repeating: Candidate(id: 0, logit: 0, probability: 0), count: 3)
            return storage.withUnsafeMutableBufferPointer { buffer in
                logits.withUnsafeBufferPointer { l in
                    var list = CandidateList(storage: buffer.baseAddress!, logits: l)
                    let stage = PenaltyStage(parameters: p, vocabularySize: 3)
                    if stage.isActive { stage.apply(to: &list, history: history) }
                    return (0..<3).map { list.storage[$0].logit }
                }
            }
        }
        #expect(penalized(lastN: -1) == [2, 2, 4])
        #expect(penalized(lastN: 1) == [4, 2, 4])
        #expect(penalized(lastN: 0) == [4, 4, 4])
    }

    @Test func presencePenaltyIgnoresPromptTokensAndChangesTheGreedyChoice() throws {
        var p = SamplingParameters.greedy
        p.presencePenalty = 1
        let logits: [Float] = [3, 2.5, 0]
        #expect(try sample(logits, p, history: TokenHistory(prompt: [0, 0, 0])).id == 0)
        var history = TokenHistory(prompt: [2])
        history.append(0)
        #expect(try sample(logits, p, history: history).id == 1)
    }

    @Test func historyCountsOnlyGeneratedTokens() {
        var history = TokenHistory(prompt: [5, 5, 6])
        for t: Int32 in [5, 7, 5] { history.append(t) }
        #expect(history.generatedCounts == [5: 2, 7: 1])
        #expect(history.generatedCount == 3)
        #expect(Array(history.generated) == [5, 7, 5])
        #expect(Array(history.recent(2)) == [7, 5])
        #expect(history.recent(-1).count == 6)
    }

    // MARK: Randomness

    @Test func xoshiroMatchesReferenceOutputs() {
        // Reference values from a line-by-line Python port of Vigna's splitmix64.c and xoshiro256starstar.c
        // (the port reproduces SplitMix64(0)'s published first output 0xE220A8397B1DCDAF):
        //   M = 2**64 - 1; rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M
        //   def sm(x): x = (x + 0x9E3779B97F4A7C15) & M; z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
        //              z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M; return x, z ^ (z >> 31)
        //   x, s = 42, [];  4 times: x, v = sm(x); s.append(v)
        //   per output: r = rotl(s[1] * 5 & M, 7) * 9 & M; t = s[1] << 17 & M; s[2] ^= s[0]; s[3] ^= s[1]
        //               s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
        var g = Xoshiro256StarStar(seed: 42)
        #expect(g.next() == 0x1578_0B2E_0C2E_C716)
        #expect(g.next() == 0x6104_D986_6D11_3A7E)
        #expect(g.next() == 0xAE17_5332_39E4_99A1)
    }

    @Test func sameSeedSameDrawsDifferentSeedDifferentDraws() throws {
        let logits = (0..<100).map { Float($0 % 7) * 0.3 }
        func draws(seed: UInt64) throws -> [Int32] {
            var p = SamplingParameters()  // the default chain, so every stage takes part
            p.seed = seed
            p.topK = 0
            let sampler = try Sampler(vocabularySize: logits.count, parameters: p)
            var history = TokenHistory()
            var out: [Int32] = []
            for _ in 0..<1_000 {
                let id = try logits.withUnsafeBufferPointer { try sampler.sample(logits: $0, history: history) }.id
                history.append(id)
                out.append(id)
            }
            return out
        }
        let first = try draws(seed: 1234)
        #expect(try draws(seed: 1234) == first)
        #expect(try draws(seed: 1235) != first)
        #expect(Set(first).count > 10)
    }

    @Test func missingSeedIsDrawnAndReported() throws {
        var p = plainSampling()
        p.seed = nil
        let a = try Sampler(vocabularySize: 4, parameters: p)
        let b = try Sampler(vocabularySize: 4, parameters: p)
        #expect(a.seed != b.seed)
    }

    @Test func empiricalDistributionMatchesSoftmax() throws {
        let logits: [Float] = [1.5, 0.2, -0.7, 2.3, 0, -2, 1.1, 0.6]
        let draws = 100_000
        let sampler = try Sampler(vocabularySize: logits.count, parameters: plainSampling(seed: 2026))
        var counts = [Int](repeating: 0, count: logits.count)
        try logits.withUnsafeBufferPointer { l in
            for _ in 0..<draws { counts[Int(try sampler.sample(logits: l, history: TokenHistory()).id)] += 1 }
        }
        let expected = softmax(logits)
        var chiSquare = 0.0
        for i in logits.indices {
            let observed = Double(counts[i])
            let wanted = expected[i] * Double(draws)
            chiSquare += (observed - wanted) * (observed - wanted) / wanted
            #expect(abs(observed / Double(draws) - expected[i]) < empiricalFrequencyTolerance, "token \(i)")
        }
        #expect(chiSquare < chiSquareCritical7DoF)
    }

    @Test func temperatureAndTopKShapeTheEmpiricalDistribution() throws {
        let logits: [Float] = [1.5, 0.2, -0.7, 2.3, 0, -2, 1.1, 0.6]
        var p = plainSampling(temperature: 0.5, seed: 3)
        p.topK = 3
        let draws = 100_000
        let sampler = try Sampler(vocabularySize: logits.count, parameters: p)
        var counts = [Int](repeating: 0, count: logits.count)
        try logits.withUnsafeBufferPointer { l in
            for _ in 0..<draws { counts[Int(try sampler.sample(logits: l, history: TokenHistory()).id)] += 1 }
        }
        // Top 3 are ids 3, 0, 6; softmax of their logits / 0.5, zero elsewhere.
        let kept = softmax([2.3 / 0.5, 1.5 / 0.5, 1.1 / 0.5])
        var expected = [Double](repeating: 0, count: logits.count)
        for (id, probability) in zip([3, 0, 6], kept) { expected[id] = probability }
        for i in logits.indices {
            #expect(abs(Double(counts[i]) / Double(draws) - expected[i]) < empiricalFrequencyTolerance, "token \(i)")
        }
    }

    // MARK: Logprobs

    @Test func logprobsAreTheLogSoftmaxOfTheRawLogits() throws {
        let logits: [Float] = [1, 2, 3, 0.5, 3]
        var p = plainSampling(temperature: 0.3)
        p.repetitionPenalty = 3  // must not change the reported numbers
        p.logprobs = true
        p.topLogprobs = 3
        let token = try sample(logits, p, history: TokenHistory(prompt: [2]))
        let logSoftmax = softmax(logits).map { Float(log($0)) }
        let chosen = try #require(token.logprob)
        #expect(abs(chosen - logSoftmax[Int(token.id)]) < logprobTolerance)
        #expect(token.topLogprobs.map(\.id) == [2, 4, 1])
        for alternative in token.topLogprobs {
            #expect(abs(alternative.logprob - logSoftmax[Int(alternative.id)]) < logprobTolerance)
        }
    }

    @Test func logprobsAreAbsentUnlessRequested() throws {
        let token = try sample([1, 2], plainSampling())
        #expect(token.logprob == nil && token.topLogprobs.isEmpty)
        var p = plainSampling()
        p.logprobs = true
        let withLogprob = try sample([1, 2], p)
        #expect(withLogprob.logprob != nil && withLogprob.topLogprobs.isEmpty)
    }

    // MARK: Validation

    static let invalidParameters: [(SamplingParameters.Field, @Sendable (inout SamplingParameters) -> Void)] = [
        (.temperature, { $0.temperature = -0.1 }),
        (.temperature, { $0.temperature = .nan }),
        (.topK, { $0.topK = -1 }),
        (.topP, { $0.topP = 0 }),
        (.topP, { $0.topP = 1.01 }),
        (.minP, { $0.minP = -0.01 }),
        (.minP, { $0.minP = 1.5 }),
        (.repetitionPenalty, { $0.repetitionPenalty = 0 }),
        (.penaltyLastN, { $0.penaltyLastN = -2 }),
        (.presencePenalty, { $0.presencePenalty = 2.5 }),
        (.frequencyPenalty, { $0.frequencyPenalty = -2.01 }),
        (.maxTokens, { $0.maxTokens = 0 }),
        (.stop, { $0.stop = ["ok", ""] }),
        (.topLogprobs, { $0.logprobs = true; $0.topLogprobs = 21 }),
        (.topLogprobs, { $0.topLogprobs = 2 }),
    ]

    @Test(arguments: invalidParameters.indices)
    func invalidParametersNameTheirField(_ index: Int) throws {
        let (field, spoil) = Self.invalidParameters[index]
        var p = SamplingParameters()
        spoil(&p)
        let error = try #require(throws: SamplingError.self) { try p.validate() }
        #expect(error.field == field)
        #expect(error.description.contains(field.rawValue))
        #expect(throws: error) { try Sampler(vocabularySize: 4, parameters: p) }
    }

    @Test func defaultsAndBoundaryValuesAreValid() throws {
        var p = SamplingParameters()
        try p.validate()
        // llama.cpp server's defaults; OpenAI's are a preset.
        #expect(p.temperature == 0.8 && p.topK == 40 && p.topP == 0.95 && p.minP == 0.05 && p.penaltyLastN == 64)
        #expect(p.repetitionPenalty == 1 && p.presencePenalty == 0 && p.frequencyPenalty == 0 && p.seed == nil)
        let openAI = SamplingParameters.openAIDefaults
        #expect(openAI.temperature == 1 && openAI.topP == 1 && openAI.topK == 0 && openAI.minP == 0)
        try openAI.validate()
        p.temperature = 0; p.topP = 1; p.minP = 1; p.presencePenalty = -2; p.frequencyPenalty = 2
        p.penaltyLastN = -1; p.maxTokens = 1; p.logprobs = true; p.topLogprobs = 20
        try p.validate()
    }

    @Test func wrongLogitCountIsReported() throws {
        let sampler = try Sampler(vocabularySize: 4, parameters: .greedy)
        let error = try #require(throws: SamplingError.self) {
            try [Float](repeating: 0, count: 3).withUnsafeBufferPointer { try sampler.sample(logits: $0, history: TokenHistory()) }
        }
        #expect(error == .logitCountMismatch(expected: 4, got: 3))
        #expect(error.field == nil)
    }

    // MARK: Stop conditions

    @Test func stopConditionsEndOnEndOfGenerationIDsAndTheLimit() {
        let conditions = StopConditions(endOfGenerationTokens: [2, 49_152], maxTokens: 3)
        #expect(conditions.finishReason(after: 7, generatedCount: 1) == nil)
        #expect(conditions.finishReason(after: 2, generatedCount: 1) == .stop)
        #expect(conditions.finishReason(after: 7, generatedCount: 3) == .length)
        #expect(conditions.finishReason(after: 49_152, generatedCount: 3) == .stop)
        #expect(StopConditions(endOfGenerationTokens: []).finishReason(after: 0, generatedCount: 1_000_000) == nil)
        #expect(FinishReason.length.rawValue == "length")
    }
}
