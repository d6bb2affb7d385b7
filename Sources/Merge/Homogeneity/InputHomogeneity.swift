// Before any weights are read: every merge input must be a fine-tune of the base's architecture, tensor for tensor.
import Foundation
import Inference

public enum InputHomogeneity {
    /// Throws on the first disagreement with the base, naming the model, the field or tensor and both values.
    /// Only headers, configs and tokenizer sizes are read. Nothing is dropped: one misfit input stops the merge.
    public static func check(base: CheckpointInput, inputs: [any MergeInput]) throws {
        // The same file under two spellings (./x, a symlink) is still one model counted twice.
        func identity(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        var seen: Set<String> = [identity(base.path)]
        for input in inputs where !seen.insert(identity(input.path)).inserted {
            throw MergeInputError.duplicateInput(path: input.path)
        }
        // Parsing a tokenizer.json takes ~0.1 s (3.5 MB of JSON for SmolLM2); fine-tunes usually ship the base's file
        // unchanged, and a byte-identical file has the same vocabulary, so only files that differ are parsed.
        let baseTokenizer = base.checkpoint.huggingFace?.tokenizerPath.flatMap { FileManager.default.contents(atPath: $0) }
        var baseTokensRead = false
        var baseTokensValue: Int?
        func baseTokens() throws -> Int? {
            if !baseTokensRead { baseTokensValue = try base.tokenizerVocabularySize(); baseTokensRead = true }
            return baseTokensValue
        }
        var full: [ModelTensorShapes] = [ModelTensorShapes(model: base.path, shapes: base.tensorShapes)]
        for input in inputs {
            switch input {
            case let checkpoint as CheckpointInput:
                try checkConfig(checkpoint.config, of: checkpoint.path, against: base.config, reference: base.path)
                let sameFile = baseTokenizer != nil
                    && checkpoint.checkpoint.huggingFace?.tokenizerPath.flatMap { FileManager.default.contents(atPath: $0) } == baseTokenizer
                if !sameFile, let baseTokens = try baseTokens(), let tokens = try checkpoint.tokenizerVocabularySize(),
                   tokens != baseTokens {
                    throw MergeInputError.vocabularyMismatch(model: checkpoint.path, expected: baseTokens, got: tokens,
                                                             reference: base.path, what: "the tokenizer")
                }
                full.append(ModelTensorShapes(model: checkpoint.path, shapes: checkpoint.tensorShapes))
            case let adapter as LoRAAdapterInput:
                try checkAdapter(adapter, base: base)
            default:
                for (name, shape) in input.tensorShapes.sorted(by: { $0.key < $1.key }) where base.tensorShapes[name] != shape {
                    throw MergeError.shapeMismatch(model: input.path, tensor: name, expected: base.tensorShapes[name] ?? [],
                                                   got: shape, reference: base.path)
                }
            }
        }
        try TensorHomogeneity.check(full)
    }

    /// Hyper-parameters that change what the weights mean must agree; the context length does not, so it may differ.
    static func checkConfig(_ c: ModelConfig, of model: String, against b: ModelConfig, reference: String) throws {
        if c.vocabSize != b.vocabSize {
            throw MergeInputError.vocabularyMismatch(model: model, expected: b.vocabSize, got: c.vocabSize,
                                                     reference: reference, what: "the embedding table (vocab_size)")
        }
        let fields: [(String, String, String)] = [
            ("model_type", b.architecture, c.architecture),
            ("hidden_size", "\(b.hiddenSize)", "\(c.hiddenSize)"),
            ("intermediate_size", "\(b.intermediateSize)", "\(c.intermediateSize)"),
            ("num_hidden_layers", "\(b.layerCount)", "\(c.layerCount)"),
            ("num_attention_heads", "\(b.headCount)", "\(c.headCount)"),
            ("num_key_value_heads", "\(b.kvHeadCount)", "\(c.kvHeadCount)"),
            ("head_dim", "\(b.headDim)", "\(c.headDim)"),
            ("rope_theta", "\(b.ropeTheta)", "\(c.ropeTheta)"),
            ("rope_scaling", "\(b.ropeScaling)", "\(c.ropeScaling)"),
            ("rms_norm_eps", "\(b.rmsNormEps)", "\(c.rmsNormEps)"),
            ("tie_word_embeddings", "\(b.tiedEmbeddings)", "\(c.tiedEmbeddings)"),
        ]
        for (field, expected, got) in fields where expected != got {
            throw MergeInputError.configMismatch(model: model, field: field, expected: expected, got: got, reference: reference)
        }
    }

    /// Every module the adapter targets must be a tensor of the base with exactly the delta's shape.
    static func checkAdapter(_ adapter: LoRAAdapterInput, base: CheckpointInput) throws {
        for (name, shape) in adapter.tensorShapes.sorted(by: { $0.key < $1.key }) where base.tensorShapes[name] != shape {
            throw MergeInputError.adapterDoesNotFitBase(adapter: adapter.path, tensor: name, adapterShape: shape,
                                                        baseShape: base.tensorShapes[name], base: base.path,
                                                        declaredBase: adapter.config.baseModelNameOrPath)
        }
    }
}
