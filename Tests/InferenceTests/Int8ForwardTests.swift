// The int8 model against the f32 goldens: same greedy continuation for the first 32 tokens of the France prompt,
// and Int8Linear against F32Linear on a small layer.
import Foundation
import Testing
@testable import Inference
@testable import Quant

/// Tokens of case 0's greedy continuation that int8 must reproduce exactly (the bar).
let int8GreedyTokensRequired = 32
/// Per output, Int8Linear may differ from F32Linear by this fraction of Σ|w·x| over the row: weight and activation
/// rounding each contribute at most half a step of 1/127 of the block maximum, so ~1% of Σ|w·x| is a loose bound.
let int8LinearRelativeTolerance: Float = 0.02

@Suite(.serialized) struct Int8ForwardTests {
    @Test func greedyContinuationMatchesF32Goldens() throws {
        let model = try SmolLM2Int8.model()
        let golden = try ForwardGoldens.load().cases[0]
        let generated = try ForwardGoldens.greedy(model, prompt: golden.prompt_ids, count: golden.greedy_ids.count)
        let divergence = zip(generated, golden.greedy_ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        let note = divergence.map { "int8 (\(Int8Kernel.active)) diverges from the f32 goldens at token \($0) of \(generated.count)" }
            ?? "int8 (\(Int8Kernel.active)) matches all \(generated.count) golden tokens"
        print(note)
        #expect(Array(generated.prefix(int8GreedyTokensRequired)) == Array(golden.greedy_ids.prefix(int8GreedyTokensRequired)), "\(note)")
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
