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
            check(headDim: headDim, rows: rows, firstVisible: firstVisible, avx2: false)
            if DecodeAttention.usesAVX2 { check(headDim: headDim, rows: rows, firstVisible: firstVisible, avx2: true) }
        }
    }

    func check(headDim: Int, rows: Int, firstVisible: Int, avx2: Bool) {
        var random = SeededRandom(seed: UInt64(headDim * 10_000 + rows * 100 + firstVisible))
        let positions = firstVisible + rows - 1
        let qStride = headDim * 3 + 1, kvStride = headDim * 2 + 3, outStride = headDim + 2
        let q = random.floats(rows * qStride, scale: 1.5)
        let keys = random.floats(positions * kvStride + 1, scale: 1.5)
        let values = random.floats(positions * kvStride + 1, scale: 1)
        let scale = 1 / Float(headDim).squareRoot()
        let scratch = AlignedBuffer<Float>(count: PrefillAttention.scratchCount(rows: rows, firstVisible: firstVisible,
                                                                                headDim: headDim))
        var got = [Float](repeating: .nan, count: rows * outStride)
        q.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    // Offset by one float: cache rows of a head are not vector-aligned in general.
                    PrefillAttention.head(query: q.baseAddress!, queryStride: qStride, keys: k.baseAddress! + 1,
                                          values: v.baseAddress! + 1, stride: kvStride, headDim: headDim, rows: rows,
                                          firstVisible: firstVisible, scale: scale, scratch: scratch.pointer,
                                          into: &got, outStride: outStride, avx2: avx2)
                }
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
        #expect(worst < 2e-4, "head \(headDim), \(rows) rows after \(firstVisible - 1), \(avx2 ? "avx2" : "baseline"): \(worst)")
    }
}
