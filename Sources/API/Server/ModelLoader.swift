// Turns a registry entry into a served model: a trusted checkpoint is loaded as it is (a trusted adapter is applied
// to its base); an untrusted one is always merged with its family's donors first, never served raw. Then the
// model gets its batch engine.
import Foundation
import Inference
import Merge

public struct ModelLoader: Sendable {
    public let registry: ModelRegistry
    public let engineConfiguration: BatchEngineConfiguration
    /// The weight format the engine runs (f32 reference or int8).
    public let linear: LlamaWeights.LinearBuilder
    /// Merged models are cached under the registry's cache_dir; nil turns the cache off.
    public let cache: MergeCache?
    /// Reports merge progress (tensor i of N) for long merges.
    public let progress: (@Sendable (String, MergeProgress) -> Void)?

    public init(registry: ModelRegistry, engineConfiguration: BatchEngineConfiguration = BatchEngineConfiguration(),
                linear: @escaping LlamaWeights.LinearBuilder = LlamaWeights.f32Linear, useCache: Bool = true,
                progress: (@Sendable (String, MergeProgress) -> Void)? = nil) throws {
        self.registry = registry
        self.engineConfiguration = engineConfiguration
        self.linear = linear
        cache = useCache ? try MergeCache(directory: registry.server.cacheDirectory) : nil
        self.progress = progress
    }

    /// The merge a registry entry is served with, or nil when it is served as it is (a trusted full checkpoint).
    public func plan(for spec: ModelSpec) throws -> MergePlan? {
        guard let family = registry.families[spec.family] else { throw ModelLoaderError.unknownFamily(model: spec.id, family: spec.family) }
        if spec.trusted && !(spec.path.map(MergePlanning.isAdapter) ?? false) { return nil }
        return try MergePlanning.plan(for: spec, family: family)
    }

    public func load(_ spec: ModelSpec) throws -> ServedModel {
        guard let family = registry.families[spec.family] else { throw ModelLoaderError.unknownFamily(model: spec.id, family: spec.family) }
        let clock = ContinuousClock()
        let start = clock.now
        let chat: ChatModel
        var mergeSeconds = 0.0
        if let plan = try plan(for: spec) {
            let report = progress.map { report in { @Sendable (p: MergeProgress) in report(spec.id, p) } }
            let merged = try MergedModel.load(plan: plan, options: MergedModel.Options(cache: cache), linear: linear, progress: report)
            mergeSeconds = (clock.now - start).seconds
            chat = try ChatModel.assemble(name: spec.id, weights: merged.weights, tokenizerPath: family.base,
                                          loadSeconds: (clock.now - start).seconds)
        } else {
            chat = try ChatModel.load(path: spec.path ?? family.base, linear: linear)
        }
        let engine = BatchEngine(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens,
                                 configuration: engineConfiguration)
        let c = chat.model.config
        let kvBytesPerPosition = KVCache.bytesPerPosition(config: c, precision: chat.model.kvPrecision)
        // What the model may hold at its busiest, counted against memory_budget_mb: the weights, the running
        // sequences' KV budget and the prefix cache's rows (2,048 positions are 47 MB for SmolLM2 in f16).
        let kvPositions = engineConfiguration.kvBudgetPositions + engineConfiguration.prefixCachePositions
        return ServedModel(spec: spec, chat: chat, engine: engine, mergeSeconds: mergeSeconds,
                           loadSeconds: (clock.now - start).seconds,
                           residentBytes: chat.model.weights.byteCount + kvPositions * kvBytesPerPosition)
    }
}

public enum ModelLoaderError: Error, CustomStringConvertible, Equatable {
    case unknownFamily(model: String, family: String)

    public var description: String {
        switch self {
        case .unknownFamily(let m, let f): return "model \(m) names family \(f), which the registry does not define"
        }
    }
}
