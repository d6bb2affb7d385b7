// Tiny Llama checkpoints and LoRA adapters written to scratch folders, for merge-on-load logic tests.
import Foundation
import TestSupport
import Inference
@testable import Merge

/// hidden 8, FFN 16, 2 blocks, 2 heads of 4 sharing 1 KV head, vocab 12, tied embeddings; weights in HF layout.
struct TinyModel {
    var config = ModelConfig(architecture: "llama", hiddenSize: 8, intermediateSize: 16, layerCount: 2, headCount: 2,
                             kvHeadCount: 1, headDim: 4, vocabSize: 12, contextLength: 64, ropeTheta: 10_000,
                             rmsNormEps: 1e-5, tiedEmbeddings: true)
    var tensors: [String: [Float]] = [:]
    var shapes: [String: [Int]] = [:]

    var layout: [PlannedTensor] { PlannedTensor.llamaLayout(config: config, hasSeparateOutput: false) }

    init(seed: UInt64, scale: Float = 1) {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        for t in layout {
            shapes[t.name] = t.shape
            tensors[t.name] = (0..<t.elementCount).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * scale
            }
        }
    }

    /// This model plus a small random perturbation: a "fine-tune" of it.
    func fineTune(seed: UInt64, amount: Float = 0.05) -> TinyModel {
        var copy = self
        let noise = TinyModel(seed: seed, scale: amount)
        for (name, values) in tensors { copy.tensors[name] = zip(values, noise.tensors[name]!).map { $0 + $1 } }
        return copy
    }

    func hfConfigObject() -> [String: Any] {
        ["model_type": "llama", "hidden_size": config.hiddenSize, "intermediate_size": config.intermediateSize,
         "num_hidden_layers": config.layerCount, "num_attention_heads": config.headCount,
         "num_key_value_heads": config.kvHeadCount, "vocab_size": config.vocabSize,
         "max_position_embeddings": config.contextLength, "rope_theta": config.ropeTheta,
         "rms_norm_eps": Double(config.rmsNormEps), "tie_word_embeddings": config.tiedEmbeddings]
    }

    /// An HF folder (config.json + model.safetensors); `configChanges` overrides config.json keys.
    @discardableResult
    func writeHF(to folder: URL, configChanges: [String: Any] = [:]) throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var object = hfConfigObject()
        for (k, v) in configChanges { object[k] = v }
        try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent("config.json"))
        var writer = SafetensorsWriter(path: folder.appendingPathComponent("model.safetensors").path)
        for (name, values) in tensors { try writer.add(name, shape: shapes[name]!, values: values) }
        try writer.write()
        return folder.path
    }

    /// A GGUF file (F32 tensors, GGUF names, llama.cpp's q/k row order) with the metadata ModelConfig needs.
    @discardableResult
    func writeGGUF(to path: URL) throws -> String {
        var writer = GGUFWriter()
        try writer.setMetadata("general.architecture", .string("llama"))
        try writer.setMetadata("general.file_type", .uint32(0))
        try writer.setMetadata("llama.embedding_length", .uint32(UInt32(config.hiddenSize)))
        try writer.setMetadata("llama.feed_forward_length", .uint32(UInt32(config.intermediateSize)))
        try writer.setMetadata("llama.block_count", .uint32(UInt32(config.layerCount)))
        try writer.setMetadata("llama.attention.head_count", .uint32(UInt32(config.headCount)))
        try writer.setMetadata("llama.attention.head_count_kv", .uint32(UInt32(config.kvHeadCount)))
        try writer.setMetadata("llama.context_length", .uint32(UInt32(config.contextLength)))
        try writer.setMetadata("llama.rope.freq_base", .float32(Float(config.ropeTheta)))
        try writer.setMetadata("llama.attention.layer_norm_rms_epsilon", .float32(config.rmsNormEps))
        try writer.setMetadata("tokenizer.ggml.tokens", .array((0..<config.vocabSize).map { .string("t\($0)") }))
        let naming = CheckpointTensorProvider(source: EmptySource(), naming: .gguf, config: config)
        for t in layout {
            var values = tensors[t.name]!
            let name = naming.sourceName(forHF: t.name)
            values.withUnsafeMutableBufferPointer { p in
                if name.hasSuffix("attn_q.weight") {
                    RopeRowOrder.hfToGGUF(p.baseAddress!, heads: config.headCount, headDim: config.headDim, columns: t.shape[1])
                } else if name.hasSuffix("attn_k.weight") {
                    RopeRowOrder.hfToGGUF(p.baseAddress!, heads: config.kvHeadCount, headDim: config.headDim, columns: t.shape[1])
                }
            }
            try writer.addTensor(name, shape: t.shape, floats: values)
        }
        try writer.write(to: path.path)
        return path.path
    }
}

struct EmptySource: TensorSource {
    var sourcePath: String { "" }
    var tensorNames: [String] { [] }
    func shape(of name: String) -> [Int]? { nil }
    func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {}
}

/// A PEFT-style LoRA adapter folder for a tiny model.
struct TinyAdapter {
    /// module ("model.layers.0.self_attn.q_proj") -> (A [r, in], B [out, r]) row-major.
    var factors: [String: (a: [Float], aShape: [Int], b: [Float], bShape: [Int])] = [:]
    var config: [String: Any] = ["peft_type": "LORA", "r": 2, "lora_alpha": 4, "use_rslora": false,
                                 "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](),
                                 "fan_in_fan_out": false, "target_modules": ["q_proj", "down_proj"],
                                 "base_model_name_or_path": "tiny/base", "modules_to_save": NSNull()]

    /// Random factors of rank `r` for `module` with the weight shape [out, in].
    mutating func add(_ module: String, out: Int, in inFeatures: Int, r: Int, seed: UInt64) {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        factors[module] = ((0..<(r * inFeatures)).map { _ in next() }, [r, inFeatures],
                           (0..<(out * r)).map { _ in next() }, [out, r])
    }

    /// scale·B·A by naive loops (the reference for the BLAS path).
    func delta(_ module: String, scale: Float) -> [Float] {
        let f = factors[module]!
        let (out, r, inFeatures) = (f.bShape[0], f.aShape[0], f.aShape[1])
        var d = [Float](repeating: 0, count: out * inFeatures)
        for o in 0..<out {
            for i in 0..<inFeatures {
                var s: Float = 0
                for k in 0..<r { s += f.b[o * r + k] * f.a[k * inFeatures + i] }
                d[o * inFeatures + i] = s * scale
            }
        }
        return d
    }

    @discardableResult
    func write(to folder: URL, extraTensors: [String: [Int]] = [:]) throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("adapter_config.json"))
        var writer = SafetensorsWriter(path: folder.appendingPathComponent("adapter_model.safetensors").path)
        for (module, f) in factors {
            try writer.add("base_model.model.\(module).lora_A.weight", shape: f.aShape, values: f.a)
            try writer.add("base_model.model.\(module).lora_B.weight", shape: f.bShape, values: f.b)
        }
        for (name, shape) in extraTensors {
            try writer.add(name, shape: shape, values: [Float](repeating: 0.5, count: shape.reduce(1, *)))
        }
        try writer.write()
        return folder.path
    }
}

enum MergeLoadFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = repositoryRoot.appendingPathComponent("Tests/Fixtures/merge-load")
    static let smolLM2GGUF = repositoryRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    /// The backdoor lab, read-only, next to the repository (see ../shared/zoo/README.md).
    static let zooAdapters = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/zoo/adapters")

    static func adapter(_ name: String) -> String { zooAdapters.appendingPathComponent(name).path }

    static func temporaryDirectory() throws -> URL { try ScratchDirectory.make(prefix: "mergeguard-mergeload") }
}
