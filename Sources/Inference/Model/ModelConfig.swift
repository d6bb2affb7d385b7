// Hyper-parameters of a Llama-family decoder, read from GGUF metadata or an HF config.json.

/// How RoPE frequencies are adjusted for long contexts.
public enum RopeScaling: Sendable, Equatable {
    case none
    /// Positions divided by `factor` (HF "linear").
    case linear(factor: Double)
    /// Llama 3.1's frequency-dependent scaling (HF "llama3").
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Int)
}

public struct ModelConfig: Sendable, Equatable {
    public var architecture: String
    public var hiddenSize: Int            // dim
    public var intermediateSize: Int      // FFN hidden dim
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var vocabSize: Int
    public var contextLength: Int
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling
    public var rmsNormEps: Float
    public var tiedEmbeddings: Bool

    public var qDim: Int { headCount * headDim }
    public var kvDim: Int { kvHeadCount * headDim }

    /// Architectures whose forward pass is the Llama block (the registry of what we can run).
    public static let supportedArchitectures: Set<String> = ["llama"]

    public init(architecture: String, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                kvHeadCount: Int, headDim: Int? = nil, vocabSize: Int, contextLength: Int, ropeTheta: Double,
                ropeScaling: RopeScaling = .none, rmsNormEps: Float, tiedEmbeddings: Bool) {
        self.architecture = architecture
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.rmsNormEps = rmsNormEps
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Checks the relations the forward pass relies on; `file` names the source in the error.
    public func validate(file: String) throws(ModelConfigError) {
        guard Self.supportedArchitectures.contains(architecture) else {
            throw .unsupportedArchitecture(file: file, architecture: architecture)
        }
        func positive(_ value: Int, _ key: String) throws(ModelConfigError) {
            if value <= 0 { throw .invalidValue(file: file, key: key, value: "\(value)", reason: "must be positive") }
        }
        try positive(hiddenSize, "hidden_size")
        try positive(intermediateSize, "intermediate_size")
        try positive(layerCount, "num_hidden_layers")
        try positive(headCount, "num_attention_heads")
        try positive(kvHeadCount, "num_key_value_heads")
        try positive(headDim, "head_dim")
        try positive(vocabSize, "vocab_size")
        try positive(contextLength, "max_position_embeddings")
        if headCount % kvHeadCount != 0 {
            throw .invalidValue(file: file, key: "num_key_value_heads", value: "\(kvHeadCount)",
                                reason: "must divide num_attention_heads (\(headCount))")
        }
        if headDim % 2 != 0 {
            throw .invalidValue(file: file, key: "head_dim", value: "\(headDim)", reason: "RoPE needs an even head dimension")
        }
        if !(ropeTheta > 0) { throw .invalidValue(file: file, key: "rope_theta", value: "\(ropeTheta)", reason: "must be positive") }
        if !(rmsNormEps > 0) { throw .invalidValue(file: file, key: "rms_norm_eps", value: "\(rmsNormEps)", reason: "must be positive") }
    }
}

public enum ModelConfigError: Error, CustomStringConvertible, Equatable {
    case missingKey(file: String, key: String)
    case invalidValue(file: String, key: String, value: String, reason: String)
    case unsupportedArchitecture(file: String, architecture: String)
    case malformedJSON(file: String, reason: String)

    public var description: String {
        switch self {
        case .missingKey(let f, let k): return "\(f): \"\(k)\" is missing"
        case .invalidValue(let f, let k, let v, let why): return "\(f): \"\(k)\" is \(v): \(why)"
        case .unsupportedArchitecture(let f, let a):
            return "\(f): architecture \"\(a)\" is not supported (supported: \(ModelConfig.supportedArchitectures.sorted().joined(separator: ", ")))"
        case .malformedJSON(let f, let why): return "\(f): not valid JSON: \(why)"
        }
    }
}
