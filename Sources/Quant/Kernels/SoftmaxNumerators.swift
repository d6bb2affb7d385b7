// The sampling softmax's exponentials over strided records (the sampler's candidates), eight at a time on AVX2.
import CKernels

public enum SoftmaxNumerators {
    public static let usesAVX2 = mg_cpu_features() & Int32(MG_CPU_AVX2) != 0

    /// probabilities[i·stride] = e^(logits[i·stride] − maxLogit) for i < count, about 2 ulp from expf and exactly 0
    /// below e^-87; returns their sum in Double. Needs `usesAVX2`; every logit at most maxLogit. Strides in floats.
    public static func avx2(logits: UnsafePointer<Float>, probabilities: UnsafeMutablePointer<Float>, stride: Int,
                            count: Int, maxLogit: Float) -> Double {
        precondition(usesAVX2, "the AVX2 softmax needs AVX2 and FMA")
        return mg_candidate_exponentials_avx2(logits, probabilities, Int64(stride), Int64(count), maxLogit)
    }
}
