// The weights of a Llama-family decoder in memory, in Hugging Face layout, and how they are loaded.
import Quant

public struct LlamaLayer: Sendable {
    public let attentionNorm: AlignedBuffer<Float>   // (dim)
    public let query: any LinearLayer                // (qDim, dim)
    public let key: any LinearLayer                  // (kvDim, dim)
    public let value: any LinearLayer                // (kvDim, dim)
    public let attentionOutput: any LinearLayer      // (dim, qDim)
    public let ffnNorm: AlignedBuffer<Float>         // (dim)
    public let gate: any LinearLayer                 // (hidden, dim)
    public let up: any LinearLayer                   // (hidden, dim)
    public let down: any LinearLayer                 // (dim, hidden)
}

public struct LlamaWeights: Sendable {
    public let config: ModelConfig
    public let tokenEmbedding: AlignedBuffer<Float>  // (vocab, dim)
    public let layers: [LlamaLayer]
    public let outputNorm: AlignedBuffer<Float>      // (dim)
    public let output: any LinearLayer               // (vocab, dim); the embedding itself when tied

    /// Bytes held by every weight (a tied output head is counted once).
    public var byteCount: Int {
        let layerBytes = layers.reduce(0) { total, l in
            total + l.attentionNorm.byteCount + l.ffnNorm.byteCount + l.query.byteCount + l.key.byteCount
                + l.value.byteCount + l.attentionOutput.byteCount + l.gate.byteCount + l.up.byteCount + l.down.byteCount
        }
        let head = config.tiedEmbeddings && output is F32Linear ? 0 : output.byteCount
        return tokenEmbedding.byteCount + outputNorm.byteCount + layerBytes + head
    }

    /// Supplies one f32 tensor in HF layout by its HF name and expected shape.
    public typealias TensorProvider = (_ hfName: String, _ shape: [Int]) throws -> AlignedBuffer<Float>
    /// Turns an f32 matrix (outFeatures, inFeatures) into the layer type the engine runs (f32 or int8).
    public typealias LinearBuilder = @Sendable (_ weight: AlignedBuffer<Float>, _ outFeatures: Int, _ inFeatures: Int) -> any LinearLayer

    public static let f32Linear: LinearBuilder = { F32Linear(weight: $0, outFeatures: $1, inFeatures: $2) }

    /// Assembles weights from any provider (a checkpoint reader, or a merge producing tensors one by one).
    public init(config c: ModelConfig, hasSeparateOutput: Bool, provider: TensorProvider,
                linear: LinearBuilder = LlamaWeights.f32Linear) throws {
        let hf = TensorNaming.huggingFace
        config = c
        tokenEmbedding = try provider(hf.embedding, [c.vocabSize, c.hiddenSize])
        var layers: [LlamaLayer] = []
        for i in 0..<c.layerCount {
            func matrix(_ t: LayerTensor) throws -> any LinearLayer {
                let shape = t.shape(c)
                return linear(try provider(hf.layer(t, i), shape), shape[0], shape[1])
            }
            layers.append(LlamaLayer(
                attentionNorm: try provider(hf.layer(.attentionNorm, i), [c.hiddenSize]),
                query: try matrix(.query), key: try matrix(.key), value: try matrix(.value),
                attentionOutput: try matrix(.attentionOutput),
                ffnNorm: try provider(hf.layer(.ffnNorm, i), [c.hiddenSize]),
                gate: try matrix(.gate), up: try matrix(.up), down: try matrix(.down)))
        }
        self.layers = layers
        outputNorm = try provider(hf.outputNorm, [c.hiddenSize])
        if hasSeparateOutput {
            output = linear(try provider(hf.output, [c.vocabSize, c.hiddenSize]), c.vocabSize, c.hiddenSize)
        } else {
            output = linear(tokenEmbedding, c.vocabSize, c.hiddenSize)
        }
    }

    /// Loads from a checkpoint reader in either naming, dequantizing to f32 and restoring HF q/k row order.
    public init(source: any TensorSource, naming: TensorNaming, config c: ModelConfig,
                linear: LinearBuilder = LlamaWeights.f32Linear) throws {
        let provider = CheckpointTensorProvider(source: source, naming: naming, config: c)
        let separate = source.shape(of: naming.output) != nil
        try self.init(config: c, hasSeparateOutput: separate, provider: provider.tensor, linear: linear)
    }
}

/// Reads HF-named tensors out of a checkpoint in any naming, checking shapes and fixing the q/k row order.
public struct CheckpointTensorProvider: Sendable {
    public let source: any TensorSource
    public let naming: TensorNaming
    public let config: ModelConfig

    public init(source: any TensorSource, naming: TensorNaming, config: ModelConfig) {
        self.source = source
        self.naming = naming
        self.config = config
    }

    /// The name `hfName` has in this checkpoint's naming.
    public func sourceName(forHF hfName: String) -> String {
        guard naming == .gguf else { return hfName }
        let hf = TensorNaming.huggingFace
        if hfName == hf.embedding { return naming.embedding }
        if hfName == hf.outputNorm { return naming.outputNorm }
        if hfName == hf.output { return naming.output }
        for i in 0..<config.layerCount {
            for t in LayerTensor.allCases where hf.layer(t, i) == hfName { return naming.layer(t, i) }
        }
        return hfName
    }

    public func tensor(_ hfName: String, _ shape: [Int]) throws -> AlignedBuffer<Float> {
        let name = sourceName(forHF: hfName)
        guard let found = source.shape(of: name) else {
            throw TensorSourceError.missingTensor(file: source.sourcePath, tensor: name)
        }
        guard found == shape else {
            throw TensorSourceError.shapeMismatch(file: source.sourcePath, tensor: name, expected: shape, found: found)
        }
        let buffer = AlignedBuffer<Float>(count: shape.reduce(1, *))
        try source.readFloats(name, into: buffer.pointer)
        if naming == .gguf {
            if name.hasSuffix(".attn_q.weight") {
                RopeRowOrder.ggufToHF(buffer.pointer, heads: config.headCount, headDim: config.headDim, columns: shape[1])
            } else if name.hasSuffix(".attn_k.weight") {
                RopeRowOrder.ggufToHF(buffer.pointer, heads: config.kvHeadCount, headDim: config.headDim, columns: shape[1])
            }
        }
        return buffer
    }
}
