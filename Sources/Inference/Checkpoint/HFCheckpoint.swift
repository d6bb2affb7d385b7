// A Hugging Face checkpoint folder: config.json, safetensors weights (single or sharded), tokenizer and generation files.
import Foundation

public struct HFCheckpoint: Sendable {
    public let folder: String
    public let configPath: String
    public let config: ModelConfig
    /// A `SafetensorsFile` or a `ShardedSafetensors`, HF-named.
    public let weights: any TensorSource
    /// tokenizer.json, when present.
    public let tokenizerPath: String?
    /// tokenizer_config.json, when present.
    public let tokenizerConfigPath: String?
    /// The Jinja chat template from tokenizer_config.json (or chat_template.jinja), when present.
    public let chatTemplate: String?
    /// End-of-sequence ids from generation_config.json, else config.json; empty when neither has them.
    public let eosTokenIDs: [Int]

    public static let configFileName = "config.json"
    public static let weightsFileName = "model.safetensors"

    /// Opens a folder holding model.safetensors or model.safetensors.index.json. Pickle-only folders are refused.
    public init(folder: String) throws {
        let weightsPath = try Self.weightsPath(in: folder)
        try self.init(folder: folder, weightsPath: weightsPath)
    }

    /// Opens one .safetensors file with the config.json (and tokenizer files) of its folder.
    public init(safetensorsFile path: String) throws {
        try self.init(folder: URL(fileURLWithPath: path).deletingLastPathComponent().path, weightsPath: path)
    }

    private init(folder: String, weightsPath: String) throws {
        self.folder = folder
        let dir = URL(fileURLWithPath: folder)
        func existing(_ name: String) -> String? {
            let p = dir.appendingPathComponent(name).path
            return FileManager.default.fileExists(atPath: p) ? p : nil
        }
        guard let configPath = existing(Self.configFileName) else { throw CheckpointError.missingConfig(folder: folder) }
        self.configPath = configPath
        let configData = try Self.read(configPath)
        config = try ModelConfig(hfConfigJSON: configData, file: configPath)
        weights = weightsPath.hasSuffix(".index.json")
            ? try ShardedSafetensors(indexPath: weightsPath)
            : try SafetensorsFile(path: weightsPath)

        tokenizerPath = existing("tokenizer.json")
        tokenizerConfigPath = existing("tokenizer_config.json")
        var template: String?
        if let tokenizerConfigPath {
            template = try Self.chatTemplate(in: try Self.jsonObject(tokenizerConfigPath), file: tokenizerConfigPath)
        }
        // transformers 5 saves the template as its own file rather than inside tokenizer_config.json.
        if template == nil, let jinja = existing("chat_template.jinja") {
            template = String(decoding: try Self.read(jinja), as: UTF8.self)
        }
        chatTemplate = template

        var eos: [Int]?
        if let generationPath = existing("generation_config.json") {
            eos = try Self.tokenIDs("eos_token_id", in: try Self.jsonObject(generationPath), file: generationPath)
        }
        if eos == nil {
            eos = try Self.tokenIDs("eos_token_id", in: try Self.jsonObject(configPath), file: configPath)
        }
        eosTokenIDs = eos ?? []
    }

    /// The weights file of a folder, refusing pickle checkpoints by name.
    static func weightsPath(in folder: String) throws -> String {
        let dir = URL(fileURLWithPath: folder)
        for name in [weightsFileName, ShardedSafetensors.indexFileName] {
            let p = dir.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        // training_args.bin and the like may sit next to safetensors weights; only a pickle-only folder is refused.
        let preferred = ["pytorch_model.bin", PickleCheckpoint.indexFileName]
        if let pickle = preferred.first(where: names.contains) ?? names.sorted().first(where: PickleCheckpoint.isPickleName) {
            throw CheckpointError.pickleCheckpoint(file: dir.appendingPathComponent(pickle).path)
        }
        throw CheckpointError.missingWeights(folder: folder)
    }

    private static func read(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw MappedFileError.cannotOpen(file: path, reason: error.localizedDescription)
        }
    }

    private static func jsonObject(_ path: String) throws -> [String: Any] {
        let data = try read(path)
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw CheckpointError.invalidJSON(file: path, reason: error.localizedDescription)
        }
        guard let object = parsed as? [String: Any] else {
            throw CheckpointError.invalidJSON(file: path, reason: "the top level is not an object")
        }
        return object
    }

    /// A string, or (older tokenizers) a list of named templates of which "default" is the chat one.
    private static func chatTemplate(in object: [String: Any], file: String) throws -> String? {
        guard let value = object["chat_template"], !(value is NSNull) else { return nil }
        if let s = value as? String { return s }
        if let list = value as? [[String: Any]] {
            let named = list.first { $0["name"] as? String == "default" } ?? list.first
            if let s = named?["template"] as? String { return s }
        }
        throw CheckpointError.invalidField(file: file, field: "chat_template",
                                           reason: "must be a string or a list of {name, template} objects")
    }

    /// An integer or a list of integers; nil when absent or null.
    private static func tokenIDs(_ key: String, in object: [String: Any], file: String) throws -> [Int]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        if !isJSONBoolean(value), let n = value as? Int { return [n] }
        if let list = value as? [Any], !list.contains(where: isJSONBoolean), let ids = list as? [Int] { return ids }
        throw CheckpointError.invalidField(file: file, field: key, reason: "must be a token id or a list of token ids")
    }
}
