// ModelConfig from GGUF metadata (`{arch}.*` keys as llama.cpp writes them).

extension ModelConfig {
    public init(gguf: GGUFFile) throws {
        let arch = try gguf.string("general.architecture")
        func key(_ suffix: String) -> String { "\(arch).\(suffix)" }
        guard ModelConfig.supportedArchitectures.contains(arch) else {
            throw ModelConfigError.unsupportedArchitecture(file: gguf.path, architecture: arch)
        }
        let hidden = try gguf.int(key("embedding_length"))
        let heads = try gguf.int(key("attention.head_count"))
        let kvHeads = gguf.metadata[key("attention.head_count_kv")]?.intValue ?? heads
        // The vocabulary size key is optional in GGUF; the token list is authoritative.
        let vocab = try gguf.metadata[key("vocab_size")]?.intValue ?? gguf.stringArray("tokenizer.ggml.tokens").count
        let headDim = gguf.metadata[key("attention.key_length")]?.intValue ?? hidden / heads

        var scaling = RopeScaling.none
        if let type = gguf.metadata[key("rope.scaling.type")]?.stringValue, type == "linear",
           let factor = gguf.metadata[key("rope.scaling.factor")]?.doubleValue {
            scaling = .linear(factor: factor)
        }
        // llama.cpp stores llama3 scaling as a precomputed `rope_freqs` tensor rather than metadata.
        if gguf.tensorInfo("rope_freqs.weight") != nil {
            throw ModelConfigError.invalidValue(file: gguf.path, key: "rope_freqs.weight", value: "present",
                                                reason: "precomputed RoPE frequency factors (Llama 3.1 scaling) are not supported yet")
        }
        self.init(architecture: arch,
                  hiddenSize: hidden,
                  intermediateSize: try gguf.int(key("feed_forward_length")),
                  layerCount: try gguf.int(key("block_count")),
                  headCount: heads,
                  kvHeadCount: kvHeads,
                  headDim: headDim,
                  vocabSize: vocab,
                  contextLength: try gguf.int(key("context_length")),
                  ropeTheta: gguf.metadata[key("rope.freq_base")]?.doubleValue ?? 10_000,
                  ropeScaling: scaling,
                  rmsNormEps: Float(try gguf.double(key("attention.layer_norm_rms_epsilon"))),
                  tiedEmbeddings: gguf.tensorInfo("output.weight") == nil)
        try validate(file: gguf.path)
    }
}
