// Decode attention for the query heads that share one key/value head, through the C kernels: the baseline one is
// bit-identical to the Swift reference path, the AVX2 one differs in the last bits (vectorized softmax, FMAs).
import CKernels

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
}
