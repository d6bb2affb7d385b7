// The blocked prefill-attention kernel against a double-precision causal attention: every row sees exactly its own
// prefix of positions (a row that saw one position too many or too few would be off by far more than rounding).
import Foundation
import Testing
@testable import Quant

@Suite struct PrefillAttentionTests {
    // Head sizes take the AVX2 tiles (multiples of 16) and the baseline fallback (others); row counts make full and
    // short 4-row tiles; the first visible count puts the chunk at the start of a sequence or after a cached prefix.
    @Test(arguments: [8, 17, 64, 128], [1, 3, 16, 21])
    func kernelMatchesCausalReference(headDim: Int, rows: Int) {
        for firstVisible in [1, 5, 100] {
            for f16 in [false, true] {
                check(headDim: headDim, rows: rows, firstVisible: firstVisible, f16: f16, avx2: false)
                if DecodeAttention.usesAVX2 { check(headDim: headDim, rows: rows, firstVisible: firstVisible, f16: f16, avx2: true) }
            }
        }
    }

    /// With an f16 cache the reference takes the widened values (what the cache holds), so the bound is the same.
    func check(headDim: Int, rows: Int, firstVisible: Int, f16: Bool, avx2: Bool) {
        var random = SeededRandom(seed: UInt64(headDim * 10_000 + rows * 100 + firstVisible))
        let positions = firstVisible + rows - 1
        let qStride = headDim * 3 + 1, kvStride = headDim * 2 + 3, outStride = headDim + 2
        let q = random.floats(rows * qStride, scale: 1.5)
        var keys = random.floats(positions * kvStride + 1, scale: 1.5)
        var values = random.floats(positions * kvStride + 1, scale: 1)
        if f16 {
            keys = keys.map { f16ToFloat(floatToF16($0)) }
            values = values.map { f16ToFloat(floatToF16($0)) }
        }
        let keyBits = keys.map(floatToF16), valueBits = values.map(floatToF16)
        let scale = 1 / Float(headDim).squareRoot()
        let scratch = AlignedBuffer<Float>(count: PrefillAttention.scratchCount(rows: rows, firstVisible: firstVisible,
                                                                                headDim: headDim))
        var got = [Float](repeating: .nan, count: rows * outStride)
        func run(_ k: UnsafeRawPointer, _ v: UnsafeRawPointer) {
            q.withUnsafeBufferPointer { q in
                PrefillAttention.head(query: q.baseAddress!, queryStride: qStride, keys: k, values: v, f16: f16,
                                      stride: kvStride, headDim: headDim, rows: rows, firstVisible: firstVisible,
                                      scale: scale, scratch: scratch.pointer, into: &got, outStride: outStride,
                                      avx2: avx2)
            }
        }
        // Offset by one element: cache rows of a head are not vector-aligned in general.
        if f16 {
            keyBits.withUnsafeBufferPointer { k in
                valueBits.withUnsafeBufferPointer { v in run(k.baseAddress! + 1, v.baseAddress! + 1) }
            }
        } else {
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in run(k.baseAddress! + 1, v.baseAddress! + 1) }
            }
        }
        var worst = 0.0
        for i in 0..<rows {
            let visible = firstVisible + i
            var scores = (0..<visible).map { p in
                (0..<headDim).reduce(0.0) { $0 + Double(q[i * qStride + $1]) * Double(keys[1 + p * kvStride + $1]) } * Double(scale)
            }
            let top = scores.max()!
            scores = scores.map { exp($0 - top) }
            let total = scores.reduce(0, +)
            for d in 0..<headDim {
                let expected = (0..<visible).reduce(0.0) { $0 + scores[$1] / total * Double(values[1 + $1 * kvStride + d]) }
                worst = max(worst, abs(expected - Double(got[i * outStride + d])))
            }
        }
        // f32 rounding of scores near the random outliers (×20) reaches a few 1e-5 after exp(); one position seen
        // too many or too few moves outputs by ~1/positions of a value, 1e-2 and more.
        #expect(worst < 2e-4, "head \(headDim), \(rows) rows after \(firstVisible - 1), \(f16 ? "f16" : "f32") cache, \(avx2 ? "avx2" : "baseline"): \(worst)")
    }
}
