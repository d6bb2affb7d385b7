// Causal prefill attention for a block of query rows of one head, through the blocked C kernel.
import CKernels

public enum PrefillAttention {
    /// Floats of scratch one `head` call needs.
    public static func scratchCount(rows: Int, firstVisible: Int, headDim: Int) -> Int {
        Int(mg_attention_prefill_scratch(Int64(rows), Int64(firstVisible), Int64(headDim)))
    }

    /// out row i (headDim values at out + i·outStride) = softmax(q_i·Kᵀ · scale) · V over positions
    /// 0 ..< firstVisible + i, where q row i is at query + i·queryStride and position p of the head's keys/values at
    /// keys/values + p·stride elements (f16 when `f16`, else f32). `scratch` needs `scratchCount(...)` floats.
    @inline(__always)
    public static func head(query: UnsafePointer<Float>, queryStride: Int, keys: UnsafeRawPointer,
                            values: UnsafeRawPointer, f16: Bool, stride: Int, headDim: Int, rows: Int,
                            firstVisible: Int, scale: Float, scratch: UnsafeMutablePointer<Float>,
                            into out: UnsafeMutablePointer<Float>, outStride: Int,
                            avx2: Bool = DecodeAttention.usesAVX2) {
        if avx2 {
            mg_attention_prefill_head_avx2(query, Int64(queryStride), keys, values, f16 ? 1 : 0, Int64(stride),
                                           Int64(headDim), Int64(rows), Int64(firstVisible), scale, scratch, out,
                                           Int64(outStride))
        } else {
            mg_attention_prefill_head(query, Int64(queryStride), keys, values, f16 ? 1 : 0, Int64(stride),
                                      Int64(headDim), Int64(rows), Int64(firstVisible), scale, scratch, out,
                                      Int64(outStride))
        }
    }
}
