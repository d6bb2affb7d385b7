// Decode attention for the query heads that share one key/value head, through the C kernels: the baseline one is
// bit-identical to the Swift reference path, the AVX2 one differs in the last bits (vectorized softmax, FMAs).
import CKernels
import Foundation

public enum DecodeAttention {
    /// Whether the AVX2 twins of the attention kernels run (AVX2 + FMA + F16C; otherwise the baseline ones).
    public static let usesAVX2 = mg_cpu_features() & Int32(MG_CPU_AVX2 | MG_CPU_F16C) == Int32(MG_CPU_AVX2 | MG_CPU_F16C)

    /// For each of `heads` query heads g (at query + g·headDim): out + g·headDim (headDim values) =
    /// softmax(q_g·kᵢ · scale) · V over `positions` rows of one key/value head, row i at keys/values + i·stride
    /// elements (f16 when `f16`, else f32). `scores` needs room for heads·positions floats and holds the attention
    /// weights afterwards (head g's from scores + g·positions).
    @inline(__always)
    public static func heads(_ heads: Int, query q: UnsafePointer<Float>, keys: UnsafeRawPointer,
                             values: UnsafeRawPointer, f16: Bool, positions: Int, stride: Int, headDim: Int,
                             scale: Float, scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
                             avx2: Bool = usesAVX2) {
        if avx2 {
            mg_attention_decode_heads_avx2(q, Int64(heads), keys, values, f16 ? 1 : 0, Int64(positions), Int64(stride),
                                           Int64(headDim), scale, scores, out)
        } else {
            mg_attention_decode_heads(q, Int64(heads), keys, values, f16 ? 1 : 0, Int64(positions), Int64(stride),
                                      Int64(headDim), scale, scores, out)
        }
    }

    /// One part of an attention split by position (AVX2 only, `usesAVX2`): like `heads` over this part's
    /// `positions` rows, but out_g is not divided by the softmax sum; the part's largest score of head g goes to
    /// maxima[g] and its sum of exp(score - maximum) to sums[g], for `combineParts`.
    @inline(__always)
    public static func part(_ heads: Int, query q: UnsafePointer<Float>, keys: UnsafeRawPointer, values: UnsafeRawPointer,
                            f16: Bool, positions: Int, stride: Int, headDim: Int, scale: Float,
                            scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
                            maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
        mg_attention_decode_part_avx2(q, Int64(heads), keys, values, f16 ? 1 : 0, Int64(positions), Int64(stride),
                                      Int64(headDim), scale, scores, out, maxima, sums)
    }

    /// out (headDim) = the attention of one head from `count` parts in order (part c's unnormalized output at
    /// outs[c], its maximum and sum at maxima[c], sums[c]): Σ_c out_c·e^(m_c − M) / Σ_c sum_c·e^(m_c − M), with
    /// M = max_c m_c, so every part's exponentials are rescaled to the same maximum.
    public static func combineParts(_ count: Int, outs: (Int) -> UnsafePointer<Float>, maxima: (Int) -> Float,
                                    sums: (Int) -> Float, headDim: Int, into out: UnsafeMutablePointer<Float>) {
        var top = -Float.infinity
        for c in 0..<count { top = max(top, maxima(c)) }
        var total: Float = 0
        out.update(repeating: 0, count: headDim)
        for c in 0..<count {
            let weight = expf(maxima(c) - top)
            total += sums(c) * weight
            let part = outs(c)
            for d in 0..<headDim { out[d] += part[d] * weight }
        }
        let inverse = 1 / total
        for d in 0..<headDim { out[d] *= inverse }
    }
}
