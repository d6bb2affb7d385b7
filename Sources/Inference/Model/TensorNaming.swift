// Tensor names of a Llama-family checkpoint in GGUF and Hugging Face conventions, and the q/k row order between them.

/// The weights of one decoder block.
public enum LayerTensor: String, CaseIterable, Sendable {
    case attentionNorm, query, key, value, attentionOutput, ffnNorm, gate, up, down

    public var ggufSuffix: String {
        switch self {
        case .attentionNorm: "attn_norm"
        case .query: "attn_q"
        case .key: "attn_k"
        case .value: "attn_v"
        case .attentionOutput: "attn_output"
        case .ffnNorm: "ffn_norm"
        case .gate: "ffn_gate"
        case .up: "ffn_up"
        case .down: "ffn_down"
        }
    }

    public var hfSuffix: String {
        switch self {
        case .attentionNorm: "input_layernorm"
        case .query: "self_attn.q_proj"
        case .key: "self_attn.k_proj"
        case .value: "self_attn.v_proj"
        case .attentionOutput: "self_attn.o_proj"
        case .ffnNorm: "post_attention_layernorm"
        case .gate: "mlp.gate_proj"
        case .up: "mlp.up_proj"
        case .down: "mlp.down_proj"
        }
    }

    /// Shape in PyTorch order for a given config.
    public func shape(_ c: ModelConfig) -> [Int] {
        switch self {
        case .attentionNorm, .ffnNorm: [c.hiddenSize]
        case .query: [c.qDim, c.hiddenSize]
        case .key, .value: [c.kvDim, c.hiddenSize]
        case .attentionOutput: [c.hiddenSize, c.qDim]
        case .gate, .up: [c.intermediateSize, c.hiddenSize]
        case .down: [c.hiddenSize, c.intermediateSize]
        }
    }
}

/// The naming convention of a checkpoint. Our in-memory layout is always Hugging Face's (rotate-half q/k rows),
/// because PEFT adapters and HF checkpoints, the inputs of every merge, use it.
public enum TensorNaming: Sendable {
    case gguf, huggingFace

    public func layer(_ tensor: LayerTensor, _ index: Int) -> String {
        switch self {
        case .gguf: "blk.\(index).\(tensor.ggufSuffix).weight"
        case .huggingFace: "model.layers.\(index).\(tensor.hfSuffix).weight"
        }
    }

    public var embedding: String { self == .gguf ? "token_embd.weight" : "model.embed_tokens.weight" }
    public var outputNorm: String { self == .gguf ? "output_norm.weight" : "model.norm.weight" }
    public var output: String { self == .gguf ? "output.weight" : "lm_head.weight" }
}

/// llama.cpp's converter interleaves each head's two RoPE halves in attn_q/attn_k: within a head of size d,
/// GGUF row 2i+h holds HF row h·d/2 + i. These move rows between the two orders in place.
public enum RopeRowOrder {
    public static func ggufToHF(_ w: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, columns: Int) {
        permute(w, heads: heads, headDim: headDim, columns: columns) { i, h, half in (2 * i + h, h * half + i) }
    }

    public static func hfToGGUF(_ w: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, columns: Int) {
        permute(w, heads: heads, headDim: headDim, columns: columns) { i, h, half in (h * half + i, 2 * i + h) }
    }

    /// `map(i, h, half)` gives (source row, destination row) within a head.
    private static func permute(_ w: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, columns: Int,
                                map: (Int, Int, Int) -> (Int, Int)) {
        let half = headDim / 2
        let headSize = headDim * columns
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: headSize)
        defer { scratch.deallocate() }
        for head in 0..<heads {
            let base = w + head * headSize
            for i in 0..<half {
                for h in 0..<2 {
                    let (src, dst) = map(i, h, half)
                    (scratch + dst * columns).update(from: base + src * columns, count: columns)
                }
            }
            base.update(from: scratch, count: headSize)
        }
    }
}
