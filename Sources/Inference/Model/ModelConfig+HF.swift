// ModelConfig from a Hugging Face config.json (LlamaConfig keys, transformers 4 and 5 RoPE layouts).
import Foundation

extension ModelConfig {
    public init(hfConfigJSON data: Data, file: String) throws(ModelConfigError) {
        let object: [String: Any]
        do {
            object = try jsonObject(data)
        } catch {
            switch error {
            case .notAnObject: throw ModelConfigError.malformedJSON(file: file, reason: "the top level is not an object")
            case .invalid(let reason): throw ModelConfigError.malformedJSON(file: file, reason: reason)
            }
        }
        func int(_ key: String) throws(ModelConfigError) -> Int {
            guard let v = object[key] else { throw .missingKey(file: file, key: key) }
            guard let n = v as? NSNumber, !isJSONBoolean(v), n.doubleValue == n.doubleValue.rounded() else {
                throw .invalidValue(file: file, key: key, value: "\(v)", reason: "must be an integer")
            }
            return n.intValue
        }
        func optionalInt(_ key: String) throws(ModelConfigError) -> Int? {
            guard let v = object[key], !(v is NSNull) else { return nil }
            return try int(key)
        }
        func double(_ key: String, in dict: [String: Any]) throws(ModelConfigError) -> Double? {
            guard let v = dict[key], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, !isJSONBoolean(v) else {
                throw .invalidValue(file: file, key: key, value: "\(v)", reason: "must be a number")
            }
            return n.doubleValue
        }

        let modelType = object["model_type"] as? String ?? "llama"
        let heads = try int("num_attention_heads")
        let hidden = try int("hidden_size")
        // transformers 5 moves rope_theta and rope_scaling into rope_parameters.
        let ropeParameters = object["rope_parameters"] as? [String: Any] ?? object["rope_scaling"] as? [String: Any] ?? [:]
        let topLevelTheta = try double("rope_theta", in: object)
        let nestedTheta = try double("rope_theta", in: ropeParameters)
        let theta = topLevelTheta ?? nestedTheta ?? 10_000
        var scaling = RopeScaling.none
        let ropeType = (ropeParameters["rope_type"] ?? ropeParameters["type"]) as? String ?? "default"
        switch ropeType {
        case "default": break
        case "linear":
            scaling = .linear(factor: try double("factor", in: ropeParameters) ?? 1)
        case "llama3":
            scaling = .llama3(factor: try double("factor", in: ropeParameters) ?? 8,
                              lowFrequencyFactor: try double("low_freq_factor", in: ropeParameters) ?? 1,
                              highFrequencyFactor: try double("high_freq_factor", in: ropeParameters) ?? 4,
                              originalContext: Int(try double("original_max_position_embeddings", in: ropeParameters) ?? 8192))
        default:
            throw .invalidValue(file: file, key: "rope_scaling.rope_type", value: ropeType,
                                reason: "supported: default, linear, llama3")
        }
        self.init(architecture: modelType,
                  hiddenSize: hidden,
                  intermediateSize: try int("intermediate_size"),
                  layerCount: try int("num_hidden_layers"),
                  headCount: heads,
                  kvHeadCount: try optionalInt("num_key_value_heads") ?? heads,
                  headDim: try optionalInt("head_dim"),
                  vocabSize: try int("vocab_size"),
                  contextLength: try int("max_position_embeddings"),
                  ropeTheta: theta,
                  ropeScaling: scaling,
                  rmsNormEps: Float(try double("rms_norm_eps", in: object) ?? 1e-6),
                  tiedEmbeddings: object["tie_word_embeddings"] as? Bool ?? false)
        try validate(file: file)
    }
}

/// Whether a JSONSerialization value is `true`/`false`. On Linux the numbers 0 and 1 also pass `is Bool`,
/// so only the boolean NSNumber's "c" (char) encoding tells them apart; JSON numbers never use it.
public func isJSONBoolean(_ value: Any) -> Bool {
    guard let n = value as? NSNumber else { return false }
    return String(cString: n.objCType) == "c"
}
