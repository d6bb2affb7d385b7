// The C decode-attention kernel against the Swift reference it replaced (F32.dot, softmax, axpy per position):
// the int8 and f32 forward passes' outputs depend on it being bit-identical, on every head size and length.
import Testing
@testable import Quant

@Suite struct DecodeAttentionTests {
    /// The reference, written exactly as LlamaModel's decode attention was before the kernel.
    static func reference(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                          positions: Int, stride: Int, headDim: Int, scale: Float, out: UnsafeMutablePointer<Float>) {
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: positions)
        defer { scores.deallocate() }
        for p in 0..<positions { scores[p] = F32.dot(q, keys + p * stride, count: headDim) * scale }
        F32.softmax(scores, count: positions)
        out.update(repeating: 0, count: headDim)
        for p in 0..<positions { F32.axpy(scores[p], values + p * stride, into: out, count: headDim) }
    }

    // Head sizes hit every path of the kernel: 16-value dot steps with and without a tail, 32- and 8-value output
    // groups, and a scalar tail; 1-4 query heads per call cover one, two and three heads sharing each value load
    // (and a second pass for the fourth); the stride leaves other values between rows.
    @Test(arguments: [1, 3, 8, 17, 40, 64, 128], [1, 2, 7, 300])
    func kernelIsBitIdenticalToTheSwiftReference(headDim: Int, positions: Int) {
        for heads in 1...4 {
            check(headDim: headDim, positions: positions, heads: heads, avx2: false)
            if DecodeAttention.usesAVX2 { check(headDim: headDim, positions: positions, heads: heads, avx2: true) }
        }
    }

    func check(headDim: Int, positions: Int, heads: Int, avx2: Bool) {
        var random = SeededRandom(seed: UInt64(headDim * 1000 + positions * 10 + heads))
        let stride = headDim * 3 + 5
        let q = random.floats(heads * headDim, scale: 1.5)
        let keys = random.floats(positions * stride, scale: 1.5)
        let values = random.floats(positions * stride, scale: 1)
        let scale = 1 / Float(headDim).squareRoot()
        var expected = [Float](repeating: 0, count: heads * headDim)
        var got = [Float](repeating: .nan, count: heads * headDim)
        let scores = AlignedBuffer<Float>(count: heads * positions)
        q.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    expected.withUnsafeMutableBufferPointer { expected in
                        // Offset by one float: cache rows of a head are not vector-aligned in general.
                        for g in 0..<heads {
                            Self.reference(q: q.baseAddress! + g * headDim, keys: k.baseAddress! + 1,
                                           values: v.baseAddress! + 1, positions: positions, stride: stride,
                                           headDim: headDim, scale: scale, out: expected.baseAddress! + g * headDim)
                        }
                    }
                    DecodeAttention.heads(heads, query: q.baseAddress!, keys: k.baseAddress! + 1,
                                          values: v.baseAddress! + 1, positions: positions, stride: stride,
                                          headDim: headDim, scale: scale, scores: scores.pointer, into: &got, avx2: avx2)
                }
            }
        }
        #expect(expected.map(\.bitPattern) == got.map(\.bitPattern),
                "head \(headDim), \(positions) positions, \(heads) heads, \(avx2 ? "avx2" : "baseline") kernel")
    }
}
