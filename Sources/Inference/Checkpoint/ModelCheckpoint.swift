// The one entry point from a user-given path (GGUF file, HF folder, or .safetensors file) to tensors, naming and config.
import Foundation

public struct ModelCheckpoint: Sendable {
    public let path: String
    public let source: any TensorSource
    public let naming: TensorNaming
    public let config: ModelConfig
    /// Tokenizer paths, chat template and eos ids when the checkpoint is a Hugging Face one.
    public let huggingFace: HFCheckpoint?
    /// The file itself when the checkpoint is GGUF (its metadata also holds the tokenizer).
    public let gguf: GGUFFile?

    /// Opens `path` as whatever checkpoint it is. Pickle checkpoints are refused by name or content.
    public static func open(path: String) throws -> ModelCheckpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.pathNotFound(path: path)
        }
        if isDirectory.boolValue { return ModelCheckpoint(path: path, huggingFace: try HFCheckpoint(folder: path)) }

        let name = URL(fileURLWithPath: path).lastPathComponent
        // Mapping reads nothing; only the magic decides, so an old GGUF named .bin still opens.
        let file = try MappedFile(path: path)
        let prefix = UnsafeRawBufferPointer(rebasing: file.bytes.prefix(8))
        let isGGUF = prefix.starts(with: "GGUF".utf8)
        if !isGGUF, PickleCheckpoint.isPickleName(name) { throw CheckpointError.pickleCheckpoint(file: path) }
        if isGGUF || name.lowercased().hasSuffix(".gguf") {
            let gguf = try GGUFFile(mapped: file)
            return ModelCheckpoint(path: path, source: gguf, naming: .gguf, config: try ModelConfig(gguf: gguf),
                                   huggingFace: nil, gguf: gguf)
        }
        if name.lowercased().hasSuffix(".safetensors") {
            return ModelCheckpoint(path: path, huggingFace: try HFCheckpoint(safetensorsFile: path))
        }
        if name == ShardedSafetensors.indexFileName {
            return ModelCheckpoint(path: path, huggingFace: try HFCheckpoint(folder: URL(fileURLWithPath: path).deletingLastPathComponent().path))
        }
        if PickleCheckpoint.looksLikePickle(prefix) { throw CheckpointError.pickleCheckpoint(file: path) }
        throw CheckpointError.unrecognizedFile(file: path)
    }

    private init(path: String, huggingFace hf: HFCheckpoint) {
        self.init(path: path, source: hf.weights, naming: .huggingFace, config: hf.config, huggingFace: hf, gguf: nil)
    }

    private init(path: String, source: any TensorSource, naming: TensorNaming, config: ModelConfig,
                 huggingFace: HFCheckpoint?, gguf: GGUFFile?) {
        self.path = path
        self.source = source
        self.naming = naming
        self.config = config
        self.huggingFace = huggingFace
        self.gguf = gguf
    }

    /// Dequantizes every weight into the engine's in-memory layout.
    public func loadWeights(linear: @escaping LlamaWeights.LinearBuilder = LlamaWeights.f32Linear) throws -> LlamaWeights {
        try LlamaWeights(source: source, naming: naming, config: config, linear: linear)
    }
}
