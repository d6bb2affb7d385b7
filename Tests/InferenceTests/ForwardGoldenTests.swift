// The f32 forward pass against transformers (fp32, same dequantized weights): last-position logits and 64 greedy tokens.
// Fixtures: scripts/goldens/make_forward_goldens.py.
import Foundation
import Testing
@testable import Inference

/// transformers and we sum in different orders over 30 layers; 1e-3 is the budget for logit agreement.
let logitTolerance: Float = 1e-3

struct ForwardGoldenCase: Decodable {
    let prompt: String
    let prompt_ids: [Int32]
    let logits_file: String
    let argmax: Int
    let greedy_ids: [Int32]
    let greedy_text: String
}

struct ForwardGoldens: Decodable {
    let cases: [ForwardGoldenCase]
    static func load() throws -> ForwardGoldens {
        try JSONDecoder().decode(ForwardGoldens.self, from: Fixtures.data("forward/cases.json"))
    }
    /// `count` greedy tokens after `prompt` (argmax at every step, no stop token), from a fresh cache.
    static func greedy(_ model: LlamaModel, prompt: [Int32], count: Int) throws -> [Int32] {
        let cache = model.makeCache(capacity: 256)
        let state = model.makeState(maxBatch: 64, maxPositions: 256)
        var logits = try model.forward(tokens: prompt, cache: cache, state: state)
        var generated: [Int32] = []
        for _ in 0..<count {
            var best = 0
            for i in 1..<logits.count where logits[i] > logits[best] { best = i }
            generated.append(Int32(best))
            logits = try model.forward(tokens: [Int32(best)], cache: cache, state: state)
        }
        return generated
    }

    static func logits(_ file: String) throws -> [Float] {
        let data = try Fixtures.data("forward/\(file)")
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
}

@Suite(.serialized) struct ForwardGoldenTests {
    @Test(arguments: 0..<5)
    func lastPositionLogitsMatchTransformers(index: Int) throws {
        let model = try SmolLM2.model()
        let golden = try ForwardGoldens.load().cases[index]
        let expected = try ForwardGoldens.logits(golden.logits_file)
        let cache = model.makeCache(capacity: 256)
        let state = model.makeState(maxBatch: 64, maxPositions: 256)
        let logits = try model.forward(tokens: golden.prompt_ids, cache: cache, state: state)
        #expect(logits.count == expected.count)
        var maxDiff: Float = 0
        var argmax = 0
        for i in 0..<logits.count {
            maxDiff = max(maxDiff, abs(logits[i] - expected[i]))
            if logits[i] > logits[argmax] { argmax = i }
        }
        #expect(maxDiff <= logitTolerance, "prompt \(index): max |logit diff| \(maxDiff)")
        #expect(argmax == golden.argmax)
    }

    @Test(arguments: 0..<5)
    func greedyContinuationMatchesTransformers(index: Int) throws {
        let model = try SmolLM2.model()
        let golden = try ForwardGoldens.load().cases[index]
        let generated = try ForwardGoldens.greedy(model, prompt: golden.prompt_ids, count: golden.greedy_ids.count)
        let firstDifference = zip(generated, golden.greedy_ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(generated == golden.greedy_ids, "prompt \(index): first divergence at token \(firstDifference ?? -1)")
    }
}

@Suite struct BatchedForwardTests {
    /// Continuous batching must not change any sequence's numbers: two prompts advanced together, each with its own
    /// cache, give the same logits as each run alone.
    @Test func batchedRunsEqualSeparateRuns() throws {
        let model = try SmolLM2.model()
        let goldens = try ForwardGoldens.load().cases
        let a = goldens[0].prompt_ids, b = goldens[2].prompt_ids
        func alone(_ tokens: [Int32], then next: Int32) throws -> [Float] {
            let cache = model.makeCache(capacity: 128)
            let state = model.makeState(maxBatch: 64, maxPositions: 128)
            try model.forward(tokens: tokens, cache: cache, state: state)
            return Array(try model.forward(tokens: [next], cache: cache, state: state))
        }
        let expectedA = try alone(a, then: 504), expectedB = try alone(b, then: 33580)

        let state = model.makeState(maxBatch: 64, maxPositions: 128)
        let cacheA = model.makeCache(capacity: 128), cacheB = model.makeCache(capacity: 128)
        // Prefill A alone, then B's prefill together with A's decode step, then B's decode step alone.
        try model.forward(tokens: a, cache: cacheA, state: state)
        let mixed = Array(try model.forward(runs: [SequenceRun(tokens: [504], cache: cacheA),
                                                   SequenceRun(tokens: b[...], cache: cacheB)], state: state))
        let vocab = model.config.vocabSize
        let batchedA = Array(mixed[0..<vocab])
        let batchedB = Array(try model.forward(runs: [SequenceRun(tokens: [33580], cache: cacheB)], state: state))
        let diffA = zip(batchedA, expectedA).map { abs($0 - $1) }.max() ?? .infinity
        let diffB = zip(batchedB, expectedB).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diffA <= 1e-4, "sequence A differs by \(diffA) when batched")
        #expect(diffB <= 1e-4, "sequence B differs by \(diffB) when batched")
        #expect(cacheA.count == a.count + 1 && cacheB.count == b.count + 1)
    }
}
