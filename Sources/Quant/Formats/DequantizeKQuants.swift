// Dequantization of ggml's 256-value K-quant super-blocks (Q4_K, Q6_K).
// Placeholder until the K-quant decoders land; the dispatch in Dequantizer already routes here.

extension Dequantizer {
    static func dequantizeQ4_K(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        preconditionFailure("Q4_K not yet implemented")
    }
    static func dequantizeQ6_K(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        preconditionFailure("Q6_K not yet implemented")
    }
}
