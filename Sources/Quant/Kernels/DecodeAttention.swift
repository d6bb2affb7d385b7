// Decode attention for one query head, through the C kernel that is bit-identical to the Swift reference path.
import CKernels

public enum DecodeAttention {
    /// Whether the AVX2 twin runs (the baseline one computes the same bits, more slowly).
    public static let usesAVX2 = mg_cpu_features() & Int32(MG_CPU_AVX2) != 0

    /// out (headDim) = softmax(q·kᵢ · scale) · V over `positions` rows of the cache, where a head's row i starts at
    /// keys/values + i·stride. `scores` needs room for `positions` floats and holds the attention weights afterwards.
    @inline(__always)
    public static func head(query q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                            positions: Int, stride: Int, headDim: Int, scale: Float,
                            scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
                            avx2: Bool = usesAVX2) {
        if avx2 {
            mg_attention_decode_head_avx2(q, keys, values, Int64(positions), Int64(stride), Int64(headDim), scale, scores, out)
        } else {
            mg_attention_decode_head(q, keys, values, Int64(positions), Int64(stride), Int64(headDim), scale, scores, out)
        }
    }
}
