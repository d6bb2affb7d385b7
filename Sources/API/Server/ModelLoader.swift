// Turns a registry entry into a served model: a trusted checkpoint is loaded as it is; an untrusted one is merged
// with its family's donors first (never served raw), then handed to a batch engine.
import Foundation
import Inference

public struct ModelLoader: Sendable {
    public let registry: ModelRegistry
    public let engineConfiguration: BatchEngineConfiguration
    /// The weight format the engine runs (f32 reference or int8).
    public let linear: LlamaWeights.LinearBuilder
    /// Builds the merged model of an untrusted entry; nil refuses every untrusted model.
    public let merger: (@Sendable (ModelSpec, FamilySpec) throws -> ChatModel)?

    public init(registry: ModelRegistry, engineConfiguration: BatchEngineConfiguration = BatchEngineConfiguration(),
                linear: @escaping LlamaWeights.LinearBuilder = LlamaWeights.f32Linear,
                merger: (@Sendable (ModelSpec, FamilySpec) throws -> ChatModel)?) {
        self.registry = registry
        self.engineConfiguration = engineConfiguration
        self.linear = linear
        self.merger = merger
    }

    public func load(_ spec: ModelSpec) throws -> ServedModel {
        guard let family = registry.families[spec.family] else { throw ModelLoaderError.unknownFamily(model: spec.id, family: spec.family) }
        let clock = ContinuousClock()
        let start = clock.now
        let chat: ChatModel
        var mergeSeconds = 0.0
        if spec.trusted {
            chat = try ChatModel.load(path: spec.path ?? family.base, linear: linear)
        } else {
            guard let merger else { throw ModelLoaderError.mergeUnavailable(model: spec.id) }
            let mergeStart = clock.now
            chat = try merger(spec, family)
            mergeSeconds = (clock.now - mergeStart).seconds
        }
        let engine = BatchEngine(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens,
                                 configuration: engineConfiguration)
        let c = chat.model.config
        let kvBytesPerPosition = 2 * c.layerCount * c.kvDim * MemoryLayout<Float>.stride
        return ServedModel(spec: spec, chat: chat, engine: engine, mergeSeconds: mergeSeconds,
                           loadSeconds: (clock.now - start).seconds,
                           residentBytes: chat.model.weights.byteCount + engineConfiguration.kvBudgetPositions * kvBytesPerPosition)
    }
}

public enum ModelLoaderError: Error, CustomStringConvertible, Equatable {
    case unknownFamily(model: String, family: String)
    case mergeUnavailable(model: String)

    public var description: String {
        switch self {
        case .unknownFamily(let m, let f): return "model \(m) names family \(f), which the registry does not define"
        case .mergeUnavailable(let m):
            return "model \(m) is untrusted and this server has no merge engine configured; it is never served raw"
        }
    }
}
