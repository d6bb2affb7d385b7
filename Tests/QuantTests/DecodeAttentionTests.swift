// The C decode-attention kernels against the Swift reference the first one replaced (F32.dot, softmax, axpy per
// position): the baseline kernel bit-identical, the AVX2 one (vectorized softmax, FMAs) within a few ulp, on every
// head size and length, for f32 and f16 caches.
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
    // (and a second pass for the fourth); the stride leaves other values between rows. Caches in f32 and in f16.
    @Test(arguments: [1, 3, 8, 17, 40, 64, 128], [1, 2, 7, 300])
    func kernelsMatchTheSwiftReference(headDim: Int, positions: Int) {
        for heads in 1...4 {
            for f16 in [false, true] {
                check(headDim: headDim, positions: positions, heads: heads, f16: f16, avx2: false)
                if DecodeAttention.usesAVX2 { check(headDim: headDim, positions: positions, heads: heads, f16: f16, avx2: true) }
            }
        }
    }

    /// The baseline kernel must equal the reference bit for bit (on the f16 cache widened to f32: widening is exact).
    /// The AVX2 kernel takes the softmax with a ~2-ulp polynomial exp eight positions at a time and its dot products
    /// and weighted sums with fused multiply-adds (one rounding where the reference has two), so it differs in the last
    /// bits: measured up to 3.8e-5 (head 40, 300 positions, 3 heads; 1.5e-5 before the FMAs) on outputs of scale 1;
    /// 1e-4 leaves room, and a wrong position or head is off by ~1e-2 and more.
    func check(headDim: Int, positions: Int, heads: Int, f16: Bool, avx2: Bool) {
        var random = SeededRandom(seed: UInt64(headDim * 1000 + positions * 10 + heads))
        let stride = headDim * 3 + 5
        let q = random.floats(heads * headDim, scale: 1.5)
        var keys = random.floats(positions * stride, scale: 1.5)
        var values = random.floats(positions * stride, scale: 1)
        if f16 {
            keys = keys.map { f16ToFloat(floatToF16($0)) }
            values = values.map { f16ToFloat(floatToF16($0)) }
        }
        let keyBits = keys.map(floatToF16), valueBits = values.map(floatToF16)
        let scale = 1 / Float(headDim).squareRoot()
        var expected = [Float](repeating: 0, count: heads * headDim)
        var got = [Float](repeating: .nan, count: heads * headDim)
        let scores = AlignedBuffer<Float>(count: heads * positions)
        q.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    expected.withUnsafeMutableBufferPointer { expected in
                        // Offset by one element: cache rows of a head are not vector-aligned in general.
                        for g in 0..<heads {
                            Self.reference(q: q.baseAddress! + g * headDim, keys: k.baseAddress! + 1,
                                           values: v.baseAddress! + 1, positions: positions, stride: stride,
                                           headDim: headDim, scale: scale, out: expected.baseAddress! + g * headDim)
                        }
                    }
                    if !f16 {
                        DecodeAttention.heads(heads, query: q.baseAddress!, keys: k.baseAddress! + 1,
                                              values: v.baseAddress! + 1, f16: false, positions: positions,
                                              stride: stride, headDim: headDim, scale: scale, scores: scores.pointer,
                                              into: &got, avx2: avx2)
                    }
                }
            }
            if f16 {
                keyBits.withUnsafeBufferPointer { k in
                    valueBits.withUnsafeBufferPointer { v in
                        DecodeAttention.heads(heads, query: q.baseAddress!, keys: k.baseAddress! + 1,
                                              values: v.baseAddress! + 1, f16: true, positions: positions,
                                              stride: stride, headDim: headDim, scale: scale, scores: scores.pointer,
                                              into: &got, avx2: avx2)
                    }
                }
            }
        }
        let label = "head \(headDim), \(positions) positions, \(heads) heads, \(f16 ? "f16" : "f32") cache, \(avx2 ? "avx2" : "baseline") kernel"
        if avx2 {
            let worst = zip(expected, got).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-4, "\(label): off by \(worst)")
        } else {
            #expect(expected.map(\.bitPattern) == got.map(\.bitPattern), "\(label)")
        }
    }

    /// Attention split by position (AVX2 only): the parts' unnormalized outputs, maxima and sums combined equal the
    /// whole attention of the reference within the same bound as the one-pass kernel, wherever the cut falls (at a
    /// multiple of 8 or not, one position in a part, or three parts).
    @Test(arguments: [1, 17, 64], [2, 9, 16, 300])
    func partsCombineToTheWholeAttention(headDim: Int, positions: Int) {
        guard DecodeAttention.usesAVX2 else { return }
        let cutSets = [[positions / 2], [1], [positions - 1], [positions / 3, 2 * positions / 3]]
        for heads in 1...3 {
            for f16 in [false, true] {
                for cuts in cutSets where cuts.allSatisfy({ $0 > 0 && $0 < positions }) {
                    checkParts(headDim: headDim, positions: positions, heads: heads, f16: f16, cuts: cuts)
                }
            }
        }
    }

    func checkParts(headDim: Int, positions: Int, heads: Int, f16: Bool, cuts: [Int]) {
        var random = SeededRandom(seed: UInt64(headDim * 1000 + positions * 10 + heads + 7))
        let stride = headDim
        let q = random.floats(heads * headDim, scale: 1.5)
        let keys = random.floats(positions * stride, scale: 1.5).map { f16ToFloat(floatToF16($0)) }
        let values = random.floats(positions * stride, scale: 1).map { f16ToFloat(floatToF16($0)) }
        let keyBits = keys.map(floatToF16), valueBits = values.map(floatToF16)
        let scale = 1 / Float(headDim).squareRoot()
        var expected = [Float](repeating: 0, count: heads * headDim)
        q.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    expected.withUnsafeMutableBufferPointer { expected in
                        for g in 0..<heads {
                            Self.reference(q: q.baseAddress! + g * headDim, keys: k.baseAddress!, values: v.baseAddress!,
                                           positions: positions, stride: stride, headDim: headDim, scale: scale,
                                           out: expected.baseAddress! + g * headDim)
                        }
                    }
                }
            }
        }
        let bounds = zip([0] + cuts, cuts + [positions]).map { ($0, $1) }
        let partFloats = heads * (headDim + 2)
        let parts = AlignedBuffer<Float>(count: bounds.count * partFloats)
        let scores = AlignedBuffer<Float>(count: heads * positions)
        for (c, (start, end)) in bounds.enumerated() {
            let block = parts.pointer + c * partFloats
            let run = { (k: UnsafeRawPointer, v: UnsafeRawPointer, bytes: Int) in
                DecodeAttention.part(heads, query: q, keys: k + start * stride * bytes, values: v + start * stride * bytes,
                                     f16: f16, positions: end - start, stride: stride, headDim: headDim, scale: scale,
                                     scores: scores.pointer, into: block, maxima: block + heads * headDim,
                                     sums: block + heads * headDim + heads)
            }
            if f16 {
                keyBits.withUnsafeBytes { k in valueBits.withUnsafeBytes { v in run(k.baseAddress!, v.baseAddress!, 2) } }
            } else {
                keys.withUnsafeBytes { k in values.withUnsafeBytes { v in run(k.baseAddress!, v.baseAddress!, 4) } }
            }
        }
        var got = [Float](repeating: .nan, count: heads * headDim)
        got.withUnsafeMutableBufferPointer { got in
            for g in 0..<heads {
                DecodeAttention.combineParts(bounds.count, outs: { UnsafePointer(parts.pointer + $0 * partFloats + g * headDim) },
                                             maxima: { parts.pointer[$0 * partFloats + heads * headDim + g] },
                                             sums: { parts.pointer[$0 * partFloats + heads * headDim + heads + g] },
                                             headDim: headDim, into: got.baseAddress! + g * headDim)
            }
        }
        let worst = zip(expected, got).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "head \(headDim), \(positions) positions cut at \(cuts), \(heads) heads, \(f16 ? "f16" : "f32"): off by \(worst)")
    }
}
