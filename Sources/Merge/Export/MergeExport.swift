// Writes a merged model out: HF safetensors folder (f32 or bf16) or an f32 GGUF that llama.cpp loads.
import Foundation
import Inference
import Quant

public enum MergeExport {
    /// What an export wrote, and what it could not.
    public struct Report: Sendable, Equatable {
        public var files: [String]
        /// Set when the base has no tokenizer files to export (an HF folder without tokenizer.json).
        public var missingTokenizer: String?
        /// Whether the merged tensors came from the merge cache or were merged (and stored) now.
        public var cache: MergedModel.CacheOutcome = .disabled
    }

    /// Files a Hugging Face folder keeps next to the weights that describe tokenizer and generation.
    static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                 "generation_config.json", "chat_template.jinja", "vocab.json", "merges.txt"]

    /// model.safetensors (streamed: memory stays at a few tensors) + config.json, and the base's tokenizer files when
    /// the base is an HF folder. With a GGUF base config.json and the tokenizer files are written from its metadata
    /// (`HFTokenizerFiles`). The folder appears only when complete (`StagedOutput`); `durable` also fsyncs it before
    /// the rename, so it survives a power cut (mergekit's exports do not, and neither do ours by default: the sync
    /// waits for the disk, 0.4 s of a 1.0 s linear merge here). With `cache`, the merged tensors come from (or are
    /// stored in, always durably) the merge cache, and an export from a cache hit is byte-identical to a fresh one.
    @discardableResult
    public static func writeHF(engine: MergeEngine, to folder: String, dtype: MergeOutputDType = .f32,
                               cache: MergeCache? = nil, durable: Bool = false, parallelism: Int = 2,
                               progress: MergeProgressHandler? = nil) throws -> Report {
        let output = try StagedOutput(target: folder, kind: .folder, durable: durable)
        do {
            var report = Report(files: [], missingTokenizer: nil)
            // The small files first: their disk writes then run during the merge, and `commit` finds them on disk.
            let configName = HFCheckpoint.configFileName
            if let hf = engine.base.checkpoint.huggingFace {
                try copy(hf.configPath, to: configName, in: output)
                report.files.append(output.finalPath(configName))
                let baseDir = URL(fileURLWithPath: hf.folder)
                for name in tokenizerFiles {
                    let source = baseDir.appendingPathComponent(name).path
                    guard FileManager.default.fileExists(atPath: source) else { continue }
                    try copy(source, to: name, in: output)
                    report.files.append(output.finalPath(name))
                }
                if !FileManager.default.fileExists(atPath: baseDir.appendingPathComponent("tokenizer.json").path) {
                    report.missingTokenizer = "the base \(hf.folder) has no tokenizer.json to copy; add the base model's "
                        + "tokenizer files to \(folder)"
                }
            } else if let gguf = engine.base.checkpoint.gguf {
                let m = gguf.metadata
                try output.write(Data(hfConfigJSON(engine.config, dtype: dtype, bosID: m["tokenizer.ggml.bos_token_id"]?.intValue,
                                                   eosID: m["tokenizer.ggml.eos_token_id"]?.intValue).utf8), as: configName)
                report.files.append(output.finalPath(configName))
                do {
                    for file in try HFTokenizerFiles.fromGGUF(gguf) {
                        try output.write(file.data, as: file.name)
                        report.files.append(output.finalPath(file.name))
                    }
                } catch let error as TokenizerError {
                    // The weights are still worth having; say what is missing and how to complete the folder.
                    report.missingTokenizer = "the base GGUF's tokenizer cannot be written as tokenizer.json (\(error)); "
                        + "copy the tokenizer files of the HF release of the base model into \(folder)"
                }
            }
            let weightsName = HFCheckpoint.weightsFileName
            let entries = engine.tensors.map { SafetensorsStreamWriter.Entry(name: $0.name, shape: $0.shape) }
            let weightsPath = output.stagedPath(weightsName), temporaryPath = output.stagedPath(".\(weightsName).partial")
            if cache == nil {
                // Nothing to hash or store in order: every worker writes its tensors where they go.
                let writer = try ParallelSafetensorsWriter(path: weightsPath, temporaryPath: temporaryPath, entries: entries,
                                                           dtype: dtype, metadata: ["format": "pt"], durable: durable)
                try engine.mergeAllTensors(parallelism: parallelism, progress: progress) { index, firstEntry, values in
                    try writer.write(index, from: firstEntry, values)
                }
                try writer.finish()
            } else {
                let writer = try SafetensorsStreamWriter(path: weightsPath, temporaryPath: temporaryPath, entries: entries,
                                                         dtype: dtype, metadata: ["format": "pt"], checksumKey: nil,
                                                         durable: durable)
                report.cache = try engine.mergedTensors(cache: cache, parallelism: parallelism, progress: progress) { tensor, values in
                    try writer.append(tensor.name, values.readOnly)
                }
                try writer.finish()
            }
            report.files.insert(output.finalPath(weightsName), at: 0)

            try output.commit()
            return report
        } catch {
            output.abandon()
            throw error
        }
    }

    /// An f32 GGUF with GGUF names and llama.cpp's q/k row order, every metadata key copied from the base GGUF
    /// (general.file_type set to ALL_F32). The base must be a GGUF: that is where tokenizer and metadata come from.
    /// The file appears only when complete; `cache` and `durable` as for `writeHF`.
    @discardableResult
    public static func writeGGUF(engine: MergeEngine, to path: String, cache: MergeCache? = nil, durable: Bool = false,
                                 parallelism: Int = 2, progress: MergeProgressHandler? = nil) throws -> Report {
        guard let gguf = engine.base.checkpoint.gguf else { throw MergeWriteError.needsGGUFBase(base: engine.base.path) }
        var writer = GGUFWriter()
        for key in gguf.metadataKeys {
            guard let value = gguf.metadata[key] else { continue }
            try writer.setMetadata(key, key == "general.file_type" ? .uint32(0) : value)
        }
        let config = engine.config
        let naming = CheckpointTensorProvider(source: gguf, naming: .gguf, config: config)
        let outcome = try engine.mergedTensors(cache: cache, parallelism: parallelism, progress: progress) { tensor, values in
            let name = naming.sourceName(forHF: tensor.name)
            if name.hasSuffix(".attn_q.weight") {
                RopeRowOrder.hfToGGUF(values.pointer, heads: config.headCount, headDim: config.headDim, columns: tensor.shape[1])
            } else if name.hasSuffix(".attn_k.weight") {
                RopeRowOrder.hfToGGUF(values.pointer, heads: config.kvHeadCount, headDim: config.headDim, columns: tensor.shape[1])
            }
            let bytes = [UInt8](UnsafeRawBufferPointer(values.readOnly))
            try writer.addTensor(name, shape: tensor.shape, type: .f32, bytes: bytes)
        }
        let output = try StagedOutput(target: path, kind: .file, durable: durable)
        do {
            try writer.write(to: output.staging)
            try output.commit()
        } catch {
            output.abandon()
            throw error
        }
        return Report(files: [output.target], missingTokenizer: nil, cache: outcome)
    }

    /// A LlamaConfig config.json for `config` (transformers keys).
    static func hfConfigJSON(_ c: ModelConfig, dtype: MergeOutputDType, bosID: Int? = nil, eosID: Int? = nil) -> String {
        var fields: [(String, String)] = [
            ("architectures", "[\"LlamaForCausalLM\"]"),
            ("model_type", "\"\(c.architecture)\""),
            ("hidden_size", "\(c.hiddenSize)"),
            ("intermediate_size", "\(c.intermediateSize)"),
            ("num_hidden_layers", "\(c.layerCount)"),
            ("num_attention_heads", "\(c.headCount)"),
            ("num_key_value_heads", "\(c.kvHeadCount)"),
            ("head_dim", "\(c.headDim)"),
            ("vocab_size", "\(c.vocabSize)"),
            ("max_position_embeddings", "\(c.contextLength)"),
            ("rope_theta", "\(c.ropeTheta)"),
            ("rms_norm_eps", "\(Double(c.rmsNormEps))"),
            ("tie_word_embeddings", c.tiedEmbeddings ? "true" : "false"),
            ("hidden_act", "\"silu\""),
            ("torch_dtype", dtype == .f32 ? "\"float32\"" : "\"bfloat16\""),
        ]
        if let bosID { fields.append(("bos_token_id", "\(bosID)")) }
        if let eosID { fields.append(("eos_token_id", "\(eosID)")) }
        switch c.ropeScaling {
        case .none: break
        case .linear(let factor): fields.append(("rope_scaling", "{\"rope_type\": \"linear\", \"factor\": \(factor)}"))
        case .llama3(let factor, let low, let high, let original):
            fields.append(("rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": \(factor), \"low_freq_factor\": \(low), "
                           + "\"high_freq_factor\": \(high), \"original_max_position_embeddings\": \(original)}"))
        }
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    private static func copy(_ source: String, to name: String, in output: StagedOutput) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw MergeWriteError.cannotWrite(file: output.finalPath(name), reason: "cannot read \(source)")
        }
        try output.write(data, as: name)
    }
}
