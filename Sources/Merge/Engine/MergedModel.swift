// The one call a server makes: the merged weights of a plan, from the cache when a verified entry exists.
import Foundation
import Inference
import Quant

public struct MergedModel: Sendable {
    public enum CacheOutcome: Sendable, Equatable {
        case disabled
        case hit(path: String)
        case stored(path: String)
        /// A bad entry was deleted and the merge rebuilt (and stored again).
        case rebuilt(path: String, reason: String)
        /// The merge was served but could not be cached (disk full, read-only folder, ...).
        case writeFailed(reason: String)
    }

    public struct Options: Sendable {
        public var cache: MergeCache?
        /// Entry precision: f32 serves the merge exactly; bf16 halves the disk. The first load serves what the
        /// cache will hold, so a hit and a miss give identical weights.
        public var cacheDType: MergeOutputDType
        public var fingerprint: FileFingerprintMode
        public var parallelism: Int

        public init(cache: MergeCache? = nil, cacheDType: MergeOutputDType = .f32, fingerprint: FileFingerprintMode = .quick,
                    parallelism: Int = 2) {
            self.cache = cache
            self.cacheDType = cacheDType
            self.fingerprint = fingerprint
            self.parallelism = parallelism
        }
    }

    public let weights: LlamaWeights
    public let engine: MergeEngine
    public let cache: CacheOutcome

    /// Opens and checks every input (throws before any weight is read when the plan is bad), then builds the merged
    /// model tensor by tensor into `linear`'s layer type (f32 or int8), from the cache or by merging.
    public static func load(plan: MergePlan, options: Options = Options(),
                            linear: @escaping LlamaWeights.LinearBuilder = LlamaWeights.f32Linear,
                            progress: MergeProgressHandler? = nil) throws -> MergedModel {
        let engine = try MergeEngine(plan: plan)
        guard let cache = options.cache else {
            let weights = try engine.loadWeights(linear: linear, parallelism: options.parallelism, progress: progress)
            return MergedModel(weights: weights, engine: engine, cache: .disabled)
        }
        let key = try MergeCacheKey(engine: engine, dtype: options.cacheDType, fingerprint: options.fingerprint)
        var discarded: String?
        switch cache.lookup(key, tensors: engine.tensors) {
        case .hit(let entry):
            let weights = try LlamaWeights(config: engine.config, hasSeparateOutput: engine.hasSeparateOutput,
                                           provider: entry.tensor, linear: linear)
            return MergedModel(weights: weights, engine: engine, cache: .hit(path: entry.path))
        case .discarded(let reason): discarded = reason
        case .miss: break
        }
        let tee = CacheTee(writer: try? cache.beginWrite(key, tensors: engine.tensors, dtype: options.cacheDType),
                           dtype: options.cacheDType)
        let merged = engine.tensorProvider(parallelism: options.parallelism, progress: progress)
        let weights = try LlamaWeights(config: engine.config, hasSeparateOutput: engine.hasSeparateOutput,
                                       provider: { name, shape in try tee.pass(name, try merged(name, shape)) }, linear: linear)
        let path = cache.entryPath(key)
        if let failure = tee.finish() { return MergedModel(weights: weights, engine: engine, cache: .writeFailed(reason: failure)) }
        return MergedModel(weights: weights, engine: engine,
                           cache: discarded.map { .rebuilt(path: path, reason: $0) } ?? .stored(path: path))
    }
}

/// Copies each merged tensor into the cache entry on its way to the model; a write failure only disables caching.
final class CacheTee: @unchecked Sendable {
    // @unchecked Sendable: used from the single thread that builds LlamaWeights.
    private var writer: SafetensorsStreamWriter?
    private let dtype: MergeOutputDType
    private var failure: String?

    init(writer: SafetensorsStreamWriter?, dtype: MergeOutputDType) {
        self.writer = writer
        self.dtype = dtype
        if writer == nil { failure = "the cache entry could not be created" }
    }

    func pass(_ name: String, _ values: AlignedBuffer<Float>) throws -> AlignedBuffer<Float> {
        if dtype == .bf16 {
            // Serve what the cache will return next time.
            for i in 0..<values.count { values.pointer[i] = bf16ToFloat(floatToBF16(values.pointer[i])) }
        }
        if let w = writer {
            do { try w.append(name, values.readOnly) } catch {
                w.abandon()
                writer = nil
                failure = "\(error)"
            }
        }
        return values
    }

    /// Deletes the unfinished entry (the merge failed).
    func abandon() {
        writer?.abandon()
        writer = nil
    }

    /// nil when the entry is in place.
    func finish() -> String? {
        guard let w = writer else { return failure }
        writer = nil
        do { try w.finish() } catch { return "\(error)" }
        return nil
    }
}
