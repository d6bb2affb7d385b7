// The int8 model against the f32 goldens: the same greedy continuation for the first 32 tokens of every golden
// prompt, last-position logits close to transformers', and Int8Linear against F32Linear on a small layer.
import Foundation
import Testing
@testable import Inference
@testable import Quant

/// Tokens of each golden greedy continuation that int8 must reproduce exactly (the bar).
let int8GreedyTokensRequired = 32
/// Largest last-position logit difference of the int8 model from the f32 goldens. Measured 0.0035 with grid-exact
/// weights and int16 activations (it was 0.7 with symmetric int8 weights and int8 activations; BENCHMARKS.md).
let int8LogitTolerance: Float = 0.02
/// Per output, Int8Linear may differ from F32Linear by this fraction of Σ|w·x| over the row: weights off any grid are
/// within half a step of (max - min) / 254 per block and activations within half a step of max / 32767, so 1% is loose.
let int8LinearRelativeTolerance: Float = 0.01

@Suite(.serialized) struct Int8ForwardTests {
    @Test(arguments: 0..<5)
    func greedyContinuationMatchesF32Goldens(index: Int) throws {
        let model = try SmolLM2Int8.model()
        let golden = try ForwardGoldens.load().cases[index]
        let generated = try ForwardGoldens.greedy(model, prompt: golden.prompt_ids, count: golden.greedy_ids.count)
        let divergence = zip(generated, golden.greedy_ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        let note = divergence.map { "prompt \(index): int8 (\(Int8Kernel.active)) diverges from the f32 goldens at token \($0) of \(generated.count)" }
            ?? "prompt \(index): int8 (\(Int8Kernel.active)) matches all \(generated.count) golden tokens"
        print(note)
        #expect(Array(generated.prefix(int8GreedyTokensRequired)) == Array(golden.greedy_ids.prefix(int8GreedyTokensRequired)), "\(note)")
    }

    @Test(arguments: 0..<5)
    func lastPositionLogitsStayCloseToF32Goldens(index: Int) throws {
        let model = try SmolLM2Int8.model()
        let golden = try ForwardGoldens.load().cases[index]
        let expected = try ForwardGoldens.logits(golden.logits_file)
        // The logits live in the state's buffer: keep the state alive while they are read.
        let state = model.makeState(maxBatch: 64, maxPositions: 256)
        let logits = try model.forward(tokens: golden.prompt_ids, cache: model.makeCache(capacity: 256), state: state)
        let maxDiff = withExtendedLifetime(state) { zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity }
        print("prompt \(index): int8 max |logit - f32 golden| \(maxDiff)")
        #expect(maxDiff <= int8LogitTolerance, "prompt \(index): int8 max |logit diff| \(maxDiff)")
    }

    /// Prefill split differently (chunks of 32 vs one chunk) changes only f32 summation order; the first int8 format
    /// amplified that to ~0.8 in the logits through rounding flips; measured now 0.0036 (prompt 3, 64 tokens).
    @Test func prefillChunkingBarelyMovesLogits() throws {
        let model = try SmolLM2Int8.model()
        let prompt = try ForwardGoldens.load().cases[3].prompt_ids
        func lastLogits(batch: Int) throws -> [Float] {
            let state = model.makeState(maxBatch: batch, maxPositions: 256)
            let logits = try model.forward(tokens: prompt, cache: model.makeCache(capacity: 256), state: state)
            return withExtendedLifetime(state) { Array(logits) }
        }
        let diff = zip(try lastLogits(batch: 32), try lastLogits(batch: 128)).map { abs($0 - $1) }.max() ?? .infinity
        print("int8 prefill in chunks of 32 vs one chunk of \(prompt.count): max |logit diff| \(diff)")
        #expect(prompt.count > 32)
        #expect(diff <= int8LogitTolerance)
    }

    @Test func int8LinearTracksF32Linear() throws {
        let outFeatures = 37, inFeatures = 96, rows = 5
        let w = AlignedBuffer<Float>(count: outFeatures * inFeatures)
        // Deterministic, sign-mixed, no structure the rounding could line up with.
        for i in 0..<w.count { w[i] = 0.1 * sin(Float(i) * 0.731) }
        let x = (0..<(rows * inFeatures)).map { 2 * cos(Float($0) * 1.37 + 0.2) }
        let f32 = F32Linear(weight: w, outFeatures: outFeatures, inFeatures: inFeatures)
        let int8 = try Int8Linear(weight: w, outFeatures: outFeatures, inFeatures: inFeatures)
        var y32 = [Float](repeating: 0, count: rows * outFeatures), y8 = y32
        x.withUnsafeBufferPointer { xp in
            y32.withUnsafeMutableBufferPointer { f32.forward(xp.baseAddress!, rows: rows, into: $0.baseAddress!) }
            y8.withUnsafeMutableBufferPointer { int8.forward(xp.baseAddress!, rows: rows, into: $0.baseAddress!) }
        }
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var magnitude: Float = 0
                for k in 0..<inFeatures { magnitude += abs(w[o * inFeatures + k] * x[r * inFeatures + k]) }
                let n = r * outFeatures + o
                #expect(abs(y8[n] - y32[n]) <= int8LinearRelativeTolerance * magnitude, "row \(r) out \(o): \(y8[n]) vs \(y32[n])")
            }
        }
    }

    @Test func raggedLayerStaysF32() {
        let w = AlignedBuffer<Float>(count: 4 * 40)
        #expect(LlamaWeights.int8Linear(w, 4, 40) is F32Linear)
        #expect(LlamaWeights.int8Linear(AlignedBuffer<Float>(count: 4 * 64), 4, 64) is Int8Linear)
        #expect(throws: Int8Error.columnsNotMultipleOfBlock(columns: 40, blockSize: 32)) {
            _ = try Int8Linear(weight: w, outFeatures: 4, inFeatures: 40)
        }
    }
}
