// A full checkpoint (GGUF of any quant type, HF folder or .safetensors) as a merge input, in HF names and layout.
import Foundation
import Inference
import Quant

public struct CheckpointInput: MergeInput {
    public let checkpoint: ModelCheckpoint
    public let tensorShapes: [String: [Int]]
    /// The tensors the engine runs, in the order `LlamaWeights` asks for them, with their shapes.
    public let layout: [PlannedTensor]
    public let hasSeparateOutput: Bool
    private let provider: CheckpointTensorProvider

    public var path: String { checkpoint.path }
    public var config: ModelConfig { checkpoint.config }

    public init(path: String) throws {
        try self.init(checkpoint: try ModelCheckpoint.open(path: path))
    }

    public init(checkpoint: ModelCheckpoint) throws {
        self.checkpoint = checkpoint
        provider = CheckpointTensorProvider(source: checkpoint.source, naming: checkpoint.naming, config: checkpoint.config)
        // A tied model that still stores lm_head (some exporters write the copy) runs on the embedding, as transformers does.
        hasSeparateOutput = checkpoint.source.shape(of: checkpoint.naming.output) != nil && !checkpoint.config.tiedEmbeddings
        layout = PlannedTensor.llamaLayout(config: checkpoint.config, hasSeparateOutput: hasSeparateOutput)
        var shapes: [String: [Int]] = [:]
        for tensor in layout {
            if let shape = checkpoint.source.shape(of: provider.sourceName(forHF: tensor.name)) { shapes[tensor.name] = shape }
        }
        tensorShapes = shapes
    }

    public var files: [String] {
        if let hf = checkpoint.huggingFace {
            var files = [hf.configPath]
            if let sharded = hf.weights as? ShardedSafetensors {
                files.append(sharded.indexPath)
                files += Set(sharded.weightMap.values).sorted().map { (hf.folder as NSString).appendingPathComponent($0) }
            } else {
                files.append(hf.weights.sourcePath)
            }
            return files
        }
        return [checkpoint.source.sourcePath]
    }

    /// The size of the tokenizer's vocabulary when the checkpoint carries one (GGUF token list, tokenizer.json ids).
    public func tokenizerVocabularySize() throws -> Int? {
        if let gguf = checkpoint.gguf {
            return gguf.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count
        }
        guard let path = checkpoint.huggingFace?.tokenizerPath,
              let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var maxID = -1
        if let vocab = (object["model"] as? [String: Any])?["vocab"] as? [String: Any] {
            for case let id as Int in vocab.values { maxID = max(maxID, id) }
        }
        for case let added as [String: Any] in object["added_tokens"] as? [Any] ?? [] {
            if let id = added["id"] as? Int { maxID = max(maxID, id) }
        }
        return maxID >= 0 ? maxID + 1 : nil
    }

    /// Whether `readSlice` can read `hfName`: HF safetensors stored as f32 (no decoding, no q/k row reordering).
    public func readsSlices(_ hfName: String) -> Bool {
        guard checkpoint.naming == .huggingFace, let reader = checkpoint.source as? any F32RangeReading else { return false }
        return reader.storesF32(provider.sourceName(forHF: hfName))
    }

    /// Entries `elements` of tensor `hfName`, when `readsSlices(hfName)`.
    public func readSlice(_ hfName: String, elements: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard let reader = checkpoint.source as? any F32RangeReading, let pointer = destination.baseAddress,
              destination.count == elements.count else {
            throw MergeError.inputSizeMismatch(tensor: hfName, model: path, expected: elements.count, got: destination.count)
        }
        try reader.readF32(provider.sourceName(forHF: hfName), elements: elements, into: pointer)
    }

    public func read(_ hfName: String, into destination: UnsafeMutableBufferPointer<Float>) throws -> TensorContribution {
        let name = provider.sourceName(forHF: hfName)
        guard let shape = checkpoint.source.shape(of: name) else {
            throw TensorSourceError.missingTensor(file: checkpoint.source.sourcePath, tensor: name)
        }
        let count = shape.reduce(1, *)
        guard count == destination.count, let pointer = destination.baseAddress else {
            throw MergeError.inputSizeMismatch(tensor: hfName, model: path, expected: destination.count, got: count)
        }
        try checkpoint.source.readFloats(name, into: pointer)
        if checkpoint.naming == .gguf {
            let c = checkpoint.config
            if name.hasSuffix(".attn_q.weight") {
                RopeRowOrder.ggufToHF(pointer, heads: c.headCount, headDim: c.headDim, columns: shape[1])
            } else if name.hasSuffix(".attn_k.weight") {
                RopeRowOrder.ggufToHF(pointer, heads: c.kvHeadCount, headDim: c.headDim, columns: shape[1])
            }
        }
        return .full
    }
}

/// One tensor of the merged model: its HF name and shape.
public struct PlannedTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public var elementCount: Int { shape.reduce(1, *) }

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    /// Every tensor of a Llama decoder, in the order `LlamaWeights` reads them (so a streaming merge can run ahead).
    public static func llamaLayout(config c: ModelConfig, hasSeparateOutput: Bool) -> [PlannedTensor] {
        let hf = TensorNaming.huggingFace
        var out = [PlannedTensor(name: hf.embedding, shape: [c.vocabSize, c.hiddenSize])]
        for i in 0..<c.layerCount {
            for t in [LayerTensor.attentionNorm, .query, .key, .value, .attentionOutput, .ffnNorm, .gate, .up, .down] {
                out.append(PlannedTensor(name: hf.layer(t, i), shape: t.shape(c)))
            }
        }
        out.append(PlannedTensor(name: hf.outputNorm, shape: [c.hiddenSize]))
        if hasSeparateOutput { out.append(PlannedTensor(name: hf.output, shape: [c.vocabSize, c.hiddenSize])) }
        return out
    }
}
