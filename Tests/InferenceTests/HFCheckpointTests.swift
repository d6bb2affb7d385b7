// Opening checkpoints by path: HF folders (single and sharded), .safetensors files, pickle refusal, and GGUF ≡ HF logits.
import Foundation
import Testing
@testable import Inference

@Suite final class HFCheckpointTests {
    let dir: URL

    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    static let tinyConfig = """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
         "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 16,
         "max_position_embeddings": 32, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": true,
         "eos_token_id": 7}
        """
    static let tokens: [Int32] = [1, 3, 5, 15, 0]

    func write(_ text: String, _ name: String, in folder: URL? = nil) throws {
        try Data(text.utf8).write(to: (folder ?? dir).appendingPathComponent(name))
    }

    /// Every tensor of a tiny Llama (HF names) with deterministic pseudo-random values.
    func tinyTensors() throws -> [(name: String, shape: [Int], values: [Float])] {
        let config = try ModelConfig(hfConfigJSON: Data(Self.tinyConfig.utf8), file: "tiny")
        var state: UInt32 = 12345
        func values(_ n: Int) -> [Float] {
            (0..<n).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(Int(state >> 8) % 2001 - 1000) / 2000
            }
        }
        let hf = TensorNaming.huggingFace
        var out = [(hf.embedding, [16, 8], values(128)), (hf.outputNorm, [8], values(8))]
        for layer in 0..<config.layerCount {
            for t in LayerTensor.allCases {
                let shape = t.shape(config)
                out.append((hf.layer(t, layer), shape, values(shape.reduce(1, *))))
            }
        }
        return out
    }

    /// Writes the tiny model's tensors into `shardCount` files (one model.safetensors when 1) with config.json.
    func writeTinyFolder(_ folder: URL, shardCount: Int = 1) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write(Self.tinyConfig, "config.json", in: folder)
        let tensors = try tinyTensors()
        guard shardCount > 1 else {
            var writer = SafetensorsWriter(path: folder.appendingPathComponent("model.safetensors").path, metadata: ["format": "pt"])
            for t in tensors { try writer.add(t.name, shape: t.shape, values: t.values) }
            try writer.write()
            return
        }
        var weightMap: [String: String] = [:]
        for shard in 0..<shardCount {
            let name = "model-\(shard + 1)-of-\(shardCount).safetensors"
            var writer = SafetensorsWriter(path: folder.appendingPathComponent(name).path)
            for (i, t) in tensors.enumerated() where i % shardCount == shard {
                try writer.add(t.name, shape: t.shape, values: t.values)
                weightMap[t.name] = name
            }
            try writer.write()
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:] as [String: String], "weight_map": weightMap])
        try index.write(to: folder.appendingPathComponent(ShardedSafetensors.indexFileName))
    }

    static func lastLogits(_ checkpoint: ModelCheckpoint, tokens: [Int32]) throws -> [Float] {
        let model = LlamaModel(weights: try checkpoint.loadWeights())
        let state = model.makeState(maxBatch: 8, maxPositions: 16)
        return Array(try model.forward(tokens: tokens, cache: model.makeCache(capacity: 16), state: state))
    }

    // MARK: opening folders and files

    @Test func opensAnHFFolderWithItsTokenizerFiles() throws {
        try writeTinyFolder(dir)
        try write("{}", "tokenizer.json")
        try write(#"{"chat_template": "{{ messages }}", "eos_token": "</s>"}"#, "tokenizer_config.json")
        try write(#"{"bos_token_id": 1, "eos_token_id": [2, 5]}"#, "generation_config.json")

        let checkpoint = try ModelCheckpoint.open(path: dir.path)
        #expect(checkpoint.naming == .huggingFace)
        #expect(checkpoint.source is SafetensorsFile)
        #expect(checkpoint.config.hiddenSize == 8 && checkpoint.config.kvHeadCount == 1 && checkpoint.config.tiedEmbeddings)
        let hf = try #require(checkpoint.huggingFace)
        #expect(hf.chatTemplate == "{{ messages }}")
        #expect(hf.eosTokenIDs == [2, 5])
        #expect(hf.tokenizerPath == dir.appendingPathComponent("tokenizer.json").path)
        #expect(hf.tokenizerConfigPath == dir.appendingPathComponent("tokenizer_config.json").path)
        let logits = try Self.lastLogits(checkpoint, tokens: Self.tokens)
        #expect(logits.count == 16)
        #expect(logits.allSatisfy { $0.isFinite })
        #expect(Set(logits).count > 1)
    }

    @Test func eosFallsBackToConfigAndTemplateToItsOwnFile() throws {
        try writeTinyFolder(dir)
        try write(#"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}"#,
                  "tokenizer_config.json")
        var hf = try HFCheckpoint(folder: dir.path)
        #expect(hf.chatTemplate == "D")
        #expect(hf.eosTokenIDs == [7])
        #expect(hf.tokenizerPath == nil)

        try FileManager.default.removeItem(at: dir.appendingPathComponent("tokenizer_config.json"))
        try write("{{ bos_token }}", "chat_template.jinja")
        hf = try HFCheckpoint(folder: dir.path)
        #expect(hf.chatTemplate == "{{ bos_token }}")
    }

    @Test func badGenerationConfigIsNamed() throws {
        try writeTinyFolder(dir)
        try write(#"{"eos_token_id": "two"}"#, "generation_config.json")
        let path = dir.appendingPathComponent("generation_config.json").path
        let error = #expect(throws: CheckpointError.self) { try HFCheckpoint(folder: self.dir.path) }
        guard case .invalidField(path, "eos_token_id", _) = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func safetensorsFileWithConfigNextToIt() throws {
        try writeTinyFolder(dir)
        let file = dir.appendingPathComponent("model.safetensors").path
        let byFile = try ModelCheckpoint.open(path: file)
        #expect(byFile.naming == .huggingFace)
        #expect(byFile.source.sourcePath == file)
        let byFolder = try ModelCheckpoint.open(path: dir.path)
        #expect(try Self.lastLogits(byFile, tokens: Self.tokens) == Self.lastLogits(byFolder, tokens: Self.tokens))
    }

    @Test func shardedFolderGivesTheSameLogitsAsOneFile() throws {
        let single = dir.appendingPathComponent("single"), sharded = dir.appendingPathComponent("sharded")
        try writeTinyFolder(single)
        try writeTinyFolder(sharded, shardCount: 3)
        let checkpoint = try ModelCheckpoint.open(path: sharded.path)
        let source = try #require(checkpoint.source as? ShardedSafetensors)
        #expect(source.shards.count == 3)
        let oneFile = try ModelCheckpoint.open(path: single.path)
        #expect(try Self.lastLogits(checkpoint, tokens: Self.tokens) == Self.lastLogits(oneFile, tokens: Self.tokens))
        // The index itself is also a valid path to the checkpoint.
        let byIndex = try ModelCheckpoint.open(path: sharded.appendingPathComponent(ShardedSafetensors.indexFileName).path)
        #expect(byIndex.source is ShardedSafetensors)
    }

    @Test func shardedFolderMissingAShardIsNamed() throws {
        try writeTinyFolder(dir, shardCount: 2)
        let shard = dir.appendingPathComponent("model-2-of-2.safetensors")
        try FileManager.default.removeItem(at: shard)
        let index = dir.appendingPathComponent(ShardedSafetensors.indexFileName).path
        let error = #expect(throws: SafetensorsError.self) { try ModelCheckpoint.open(path: self.dir.path) }
        guard case .missingShard(index, "model-2-of-2.safetensors", _) = error else {
            Issue.record("got \(String(describing: error))"); return
        }
    }

    // MARK: refusals

    @Test func pickleCheckpointsAreRefusedByName() throws {
        try write(Self.tinyConfig, "config.json")
        try write("not really a pickle", "pytorch_model.bin")
        let bin = dir.appendingPathComponent("pytorch_model.bin").path
        #expect(throws: CheckpointError.pickleCheckpoint(file: bin)) { try ModelCheckpoint.open(path: self.dir.path) }
        #expect(throws: CheckpointError.pickleCheckpoint(file: bin)) { try ModelCheckpoint.open(path: bin) }

        for name in ["model.pt", "consolidated.00.pth", "adapter.bin", "weights.ckpt", PickleCheckpoint.indexFileName] {
            let folder = dir.appendingPathComponent("only-\(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try write(Self.tinyConfig, "config.json", in: folder)
            try write("{}", name, in: folder)
            let file = folder.appendingPathComponent(name).path
            #expect(throws: CheckpointError.pickleCheckpoint(file: file)) { try ModelCheckpoint.open(path: folder.path) }
            #expect(throws: CheckpointError.pickleCheckpoint(file: file)) { try ModelCheckpoint.open(path: file) }
        }
        let message = CheckpointError.pickleCheckpoint(file: bin).description
        #expect(message.contains(bin) && message.contains("safetensors") && message.contains("Convert"))
    }

    @Test func pickleContentIsRefusedWhateverItsName() throws {
        let zip = dir.appendingPathComponent("weights.data")
        try Data([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0]).write(to: zip)
        #expect(throws: CheckpointError.pickleCheckpoint(file: zip.path)) { try ModelCheckpoint.open(path: zip.path) }
        let legacy = dir.appendingPathComponent("weights")
        try Data([0x80, 0x02, 0x8A, 0x0A]).write(to: legacy)
        #expect(throws: CheckpointError.pickleCheckpoint(file: legacy.path)) { try ModelCheckpoint.open(path: legacy.path) }
    }

    @Test func picklesBesideSafetensorsAreIgnored() throws {
        try writeTinyFolder(dir)
        try write("pickled trainer state", "training_args.bin")
        #expect(try ModelCheckpoint.open(path: dir.path).source is SafetensorsFile)
    }

    @Test func folderWithoutConfig() throws {
        try writeTinyFolder(dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        #expect(throws: CheckpointError.missingConfig(folder: dir.path)) { try ModelCheckpoint.open(path: self.dir.path) }
        let file = dir.appendingPathComponent("model.safetensors").path
        #expect(throws: CheckpointError.missingConfig(folder: dir.path)) { try ModelCheckpoint.open(path: file) }
    }

    @Test func folderWithoutWeights() throws {
        try write(Self.tinyConfig, "config.json")
        try write("{}", "tokenizer.json")
        #expect(throws: CheckpointError.missingWeights(folder: dir.path)) { try ModelCheckpoint.open(path: self.dir.path) }
    }

    @Test func missingAndUnrecognizedPaths() throws {
        let missing = dir.appendingPathComponent("nope").path
        #expect(throws: CheckpointError.pathNotFound(path: missing)) { try ModelCheckpoint.open(path: missing) }
        let text = dir.appendingPathComponent("README.md")
        try write("# a model", "README.md")
        #expect(throws: CheckpointError.unrecognizedFile(file: text.path)) { try ModelCheckpoint.open(path: text.path) }
    }

    @Test func badConfigIsNamed() throws {
        try writeTinyFolder(dir)
        try write(#"{"hidden_size": 8}"#, "config.json")
        let config = dir.appendingPathComponent("config.json").path
        #expect(throws: ModelConfigError.missingKey(file: config, key: "num_attention_heads")) {
            try ModelCheckpoint.open(path: self.dir.path)
        }
    }

    /// On Linux JSONSerialization's 0 and 1 also pass `is Bool`; a count of 1 must still read as a count.
    @Test func configCountsOfOneAreIntegersAndBooleansAreNot() throws {
        let one = try ModelConfig(hfConfigJSON: Data(Self.tinyConfig.utf8), file: "tiny.json")
        #expect(one.kvHeadCount == 1)
        let boolean = Self.tinyConfig.replacingOccurrences(of: #""num_key_value_heads": 1"#, with: #""num_key_value_heads": true"#)
        #expect(boolean != Self.tinyConfig)
        let error = #expect(throws: ModelConfigError.self) { try ModelConfig(hfConfigJSON: Data(boolean.utf8), file: "tiny.json") }
        guard case .invalidValue("tiny.json", "num_key_value_heads", _, _) = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        try writeTinyFolder(dir)
        try write(#"{"eos_token_id": true}"#, "generation_config.json")
        #expect(throws: CheckpointError.self) { try HFCheckpoint(folder: self.dir.path) }
    }

    // MARK: the default model, both ways

    /// The HF folder is the GGUF dequantized by gguf-py with q/k rows un-permuted (scripts/reference/make_hf_checkpoint.py),
    /// so both paths must run the same numbers up to summation order.
    @Test func hfFolderGivesTheSameLogitsAsTheGGUF() throws {
        let setUp = "run scripts/setup.sh (it downloads the GGUF and makes the HF folder with scripts/reference/make_hf_checkpoint.py)"
        try #require(FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF), "\(Fixtures.smolLM2GGUF) is missing: \(setUp)")
        let folderConfig = URL(fileURLWithPath: Fixtures.smolLM2HFFolder).appendingPathComponent("config.json").path
        try #require(FileManager.default.fileExists(atPath: folderConfig), "\(Fixtures.smolLM2HFFolder) is missing or incomplete: \(setUp)")

        let tokens: [Int32] = [1, 9690, 198, 2683, 359, 253, 5356, 5646]
        let gguf = try ModelCheckpoint.open(path: Fixtures.smolLM2GGUF)
        let hf = try ModelCheckpoint.open(path: Fixtures.smolLM2HFFolder)
        #expect(gguf.naming == .gguf)
        #expect(hf.naming == .huggingFace)
        #expect(hf.config == gguf.config)
        let ggufLogits = try Self.lastLogits(gguf, tokens: tokens)
        let hfLogits = try Self.lastLogits(hf, tokens: tokens)
        try #require(ggufLogits.count == 49152 && hfLogits.count == 49152)
        let maxDiff = zip(ggufLogits, hfLogits).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDiff <= 1e-4, "max |logit difference| is \(maxDiff)")
        #expect(ggufLogits.indices.max { ggufLogits[$0] < ggufLogits[$1] } == hfLogits.indices.max { hfLogits[$0] < hfLogits[$1] })
    }
}
