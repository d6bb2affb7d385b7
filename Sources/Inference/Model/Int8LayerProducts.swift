// A decoder layer's int8 matrices, run as fused products: q/k/v in one pool call, gate/up (with SwiGLU and the
// down projection's input quantization inside the same tasks) in another. Results equal the unfused Int8Linear path.
import Quant

struct Int8LayerProducts: Sendable {
    let query: Int8Matrix, key: Int8Matrix, value: Int8Matrix
    let gate: Int8Matrix, up: Int8Matrix, down: Int8Matrix
    let kernel: Int8Kernel
    let pool: ThreadPool

    /// nil unless every projection of the layer is int8 on the same kernel and pool (o_proj runs unfused either way).
    init?(_ layer: LlamaLayer) {
        guard let q = layer.query as? Int8Linear, let k = layer.key as? Int8Linear, let v = layer.value as? Int8Linear,
              let g = layer.gate as? Int8Linear, let u = layer.up as? Int8Linear, let d = layer.down as? Int8Linear
        else { return nil }
        let all = [q, k, v, g, u, d]
        guard all.allSatisfy({ $0.kernel == q.kernel && $0.pool === q.pool }) else { return nil }
        query = q.weight; key = k.weight; value = v.weight
        gate = g.weight; up = u.weight; down = d.weight
        kernel = q.kernel
        pool = q.pool
    }

    /// q, k, v (rows, qDim / kvDim / kvDim) from the quantized normed input.
    func queryKeyValue(_ input: Int8Activations, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                       v: UnsafeMutablePointer<Float>) {
        Int8MatMul.multiply(input, Int8Product(weights: query, output: q), Int8Product(weights: key, output: k),
                            Int8Product(weights: value, output: v), kernel: kernel, pool: pool)
    }

    /// out (rows, dim) = down(silu(gate(x)) · up(x)); `gate`/`up` are (rows, hidden) scratch, `hidden` the quantized
    /// gated activations.
    func feedForward(_ input: Int8Activations, gate g: UnsafeMutablePointer<Float>, up u: UnsafeMutablePointer<Float>,
                     hidden: Int8Activations, into out: UnsafeMutablePointer<Float>) {
        Int8MatMul.gatedFeedForward(input, gate: Int8Product(weights: gate, output: g),
                                    up: Int8Product(weights: up, output: u), hidden: hidden, kernel: kernel, pool: pool)
        Int8MatMul.multiply(hidden, weights: down, into: out, kernel: kernel, pool: pool)
    }
}
