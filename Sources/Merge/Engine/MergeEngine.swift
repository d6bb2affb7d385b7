// Merge-on-load: opens and checks every input up front, then merges tensor by tensor into whatever consumes them.
import COpenBLAS
import Foundation
import Inference
import Quant

/// Holds the opened inputs of a plan. Opening reads only headers and configs and runs every check that can fail
/// before weights are read (paths, formats, homogeneity, parameters); merging then streams one tensor at a time,
/// so memory stays near one merged model plus a few tensors of scratch.
public final class MergeEngine: Sendable {
    public let plan: MergePlan
    public let base: CheckpointInput
    /// Parallel to `plan.models`.
    public let inputs: [any MergeInput]
    public let settings: MergeSettings
    /// The merged model's tensors in the order `LlamaWeights` reads them.
    public let tensors: [PlannedTensor]
    public var config: ModelConfig { base.config }
    public var hasSeparateOutput: Bool { base.hasSeparateOutput }
    private let tensorIndex: [String: Int]

    public init(plan: MergePlan) throws {
        guard !plan.models.isEmpty else { throw MergeInputError.emptyPlan }
        // Merging runs tensors in parallel itself; OpenBLAS's own threads (used by LoRA products and
        // projected_linear) only fight those workers for the cores: measured 3.6× slower wall time on 2 busy cores.
        openblas_set_num_threads(1)
        self.plan = plan
        base = try CheckpointInput(path: plan.base)
        inputs = try plan.models.map { try MergeInputs.open(path: $0.path) }
        try InputHomogeneity.check(base: base, inputs: inputs)

        let methodType = type(of: try MergeMethods.named(plan.method))
        let takesWeight = methodType.parameters.contains { $0.name == "weight" && $0.scope == .perModel }
        if !takesWeight, let weighted = plan.models.first(where: { $0.weight != 1 }) {
            throw MergeError.unknownParameter(method: plan.method, parameter: "weight", model: weighted.path,
                                              known: methodType.parameters.map(\.name))
        }
        let models = plan.models.map {
            ModelSettings(name: $0.path, parameters: takesWeight ? ["weight": .number($0.weight)] : [:])
        }
        // Methods without a base (linear) average the fine-tunes only; the base still turns adapters into weights.
        settings = try MergeSettings(method: plan.method, baseModel: methodType.basePolicy == .required ? plan.base : nil,
                                     models: models, parameters: plan.parameters)
        tensors = base.layout
        for tensor in tensors where base.tensorShapes[tensor.name] != tensor.shape {
            throw MergeError.shapeMismatch(model: base.path, tensor: tensor.name, expected: tensor.shape,
                                           got: base.tensorShapes[tensor.name] ?? [], reference: "its config.json / GGUF metadata")
        }
        try settings.validate(tensors: tensors.map(\.name), layerCount: base.config.layerCount)
        tensorIndex = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    public var totalBytes: Int { tensors.reduce(0) { $0 + $1.elementCount * 4 } }

    /// Merges one tensor: reads the base and every input, turns deltas into weights, and runs the method.
    /// Refuses NaN/Inf in any input, naming the model and tensor.
    public func mergeTensor(_ name: String) throws -> AlignedBuffer<Float> {
        guard let tensor = plannedTensor(name) else { throw TensorSourceError.missingTensor(file: base.path, tensor: name) }
        // Every method writes its whole output.
        let output = AlignedBuffer<Float>(count: tensor.elementCount, zeroed: false)
        try mergeTensor(name, into: output.buffer, scratch: MergeScratch())
        return output
    }

    /// `mergeTensor` into `output`, with input buffers from `scratch`, which a worker keeps across tensors. f32
    /// safetensors inputs are read with pread, others decoded. With `slice` (only when
    /// `slicesInPlace`), merges just those entries of the tensor into `output`, which holds `slice.count`.
    func mergeTensor(_ name: String, slice: Range<Int>? = nil, into output: UnsafeMutableBufferPointer<Float>,
                     scratch: MergeScratch) throws {
        guard let index = tensorIndex[name] else {
            throw TensorSourceError.missingTensor(file: base.path, tensor: name)
        }
        let tensor = tensors[index]
        let range = slice ?? 0..<tensor.elementCount
        let count = range.count
        precondition(output.count == count, "mergeTensor: the output buffer does not hold \(name)")
        let usesBase = type(of: settings.method).basePolicy == .required
        func full(_ input: CheckpointInput, slot: Int) throws -> UnsafeBufferPointer<Float> {
            let buffer = scratch.buffer(slot, count: count)
            if input.readsSlices(name), input.tensorShapes[name] == tensor.shape {
                try input.readSlice(name, elements: range, into: buffer)
            } else {
                precondition(slice == nil, "mergeTensor: a slice of \(name) asked of an input that cannot read slices")
                _ = try input.read(name, into: buffer)
            }
            let values = UnsafeBufferPointer(buffer)
            try MergeInputs.checkFinite(values, model: input.path, tensor: name, offset: range.lowerBound)
            return values
        }
        // Read only when needed: linear merging full checkpoints never looks at the base.
        var baseValues: UnsafeBufferPointer<Float>?
        func baseTensor() throws -> UnsafeBufferPointer<Float> {
            if let baseValues { return baseValues }
            let values = try full(base, slot: 0)
            baseValues = values
            return values
        }
        if usesBase { _ = try baseTensor() }

        precondition(slice == nil || inputs.allSatisfy { $0 is CheckpointInput }, "mergeTensor: slices need full checkpoints")
        var models: [UnsafeBufferPointer<Float>] = []
        for (i, input) in inputs.enumerated() {
            if let checkpoint = input as? CheckpointInput {
                models.append(try full(checkpoint, slot: i + 1))
                continue
            }
            // An adapter leaves most tensors as the base has them (the embedding, the norms); no scratch is touched
            // for those. Merge-on-load zeroed a 113 MB buffer per adapter for the embedding alone, which took the
            // first second's RSS to ~1 GB.
            if !input.contributes(to: name) {
                models.append(try baseTensor())
                continue
            }
            // Zeroed: an adapter's read may write only part of it.
            let values = scratch.buffer(i + 1, count: count)
            values.initialize(repeating: 0)
            switch try input.read(name, into: values) {
            case .unchanged:
                models.append(try baseTensor())
                continue
            case .full:
                try MergeInputs.checkFinite(UnsafeBufferPointer(values), model: input.path, tensor: name)
            case .delta:
                try MergeInputs.checkFinite(UnsafeBufferPointer(values), model: input.path, tensor: name)
                let b = try baseTensor()
                for j in 0..<count { values[j] += b[j] }
            }
            models.append(UnsafeBufferPointer(values))
        }
        let mergeInputs = try TensorMergeInputs(name: name, shape: slice == nil ? tensor.shape : [count],
                                                base: usesBase ? baseValues : nil,
                                                models: models, modelNames: plan.models.map(\.path),
                                                suspect: plan.untrusted == nil ? nil : 0)
        try settings.mergeTensor(mergeInputs, position: .of(tensor: name, layerCount: config.layerCount),
                                 seed: plan.seed, into: output)
    }

    /// Every merged tensor in order, merged `parallelism` at a time a little ahead of `body`.
    public func mergedTensors(parallelism: Int = 2, progress: MergeProgressHandler? = nil,
                              _ body: (PlannedTensor, AlignedBuffer<Float>) throws -> Void) throws {
        let prefetcher = makePrefetcher(parallelism: parallelism)
        defer { prefetcher.cancel() }
        var done = 0
        for (i, tensor) in tensors.enumerated() {
            let values = try prefetcher.take(i)
            try body(tensor, values)
            done += tensor.elementCount * 4
            progress?(MergeProgress(tensorIndex: i + 1, tensorCount: tensors.count, tensorName: tensor.name,
                                    bytesDone: done, bytesTotal: totalBytes))
        }
    }

    /// A `LlamaWeights.TensorProvider` that streams the merge: `LlamaWeights(config: engine.config,
    /// hasSeparateOutput: engine.hasSeparateOutput, provider: engine.tensorProvider(), linear: anyBuilder)`.
    /// Tensors asked for in the plan's order are merged ahead on `parallelism` threads; any other order still works,
    /// merging on demand. Dropping the provider stops the workers.
    public func tensorProvider(parallelism: Int = 2, progress: MergeProgressHandler? = nil) -> LlamaWeights.TensorProvider {
        let stream = StreamingProvider(engine: self, parallelism: parallelism, progress: progress)
        return { name, shape in try stream.tensor(name, shape) }
    }

    /// The merged model in the engine's layout (f32, or int8 through `linear`).
    public func loadWeights(linear: @escaping LlamaWeights.LinearBuilder = LlamaWeights.f32Linear, parallelism: Int = 2,
                            progress: MergeProgressHandler? = nil) throws -> LlamaWeights {
        try LlamaWeights(config: config, hasSeparateOutput: hasSeparateOutput,
                         provider: tensorProvider(parallelism: parallelism, progress: progress), linear: linear)
    }

    func plannedTensor(_ name: String) -> PlannedTensor? { tensorIndex[name].map { tensors[$0] } }
    func index(of name: String) -> Int? { tensorIndex[name] }

    func makePrefetcher(parallelism: Int) -> TensorPrefetcher {
        let tensors = self.tensors
        return TensorPrefetcher(count: tensors.count, workers: parallelism, window: max(1, parallelism)) { [self] i in
            try mergeTensor(tensors[i].name)
        }
    }
}

/// The state behind `MergeEngine.tensorProvider`: the prefetcher (started on first use) and progress so far.
final class StreamingProvider: @unchecked Sendable {
    // @unchecked Sendable: LlamaWeights calls its provider from one thread at a time; `lock` guards the fields anyway.
    private let engine: MergeEngine
    private let parallelism: Int
    private let progress: MergeProgressHandler?
    private let lock = NSLock()
    private var prefetcher: TensorPrefetcher?
    private var finished = 0
    private var bytesDone = 0

    init(engine: MergeEngine, parallelism: Int, progress: MergeProgressHandler?) {
        self.engine = engine
        self.parallelism = parallelism
        self.progress = progress
    }

    deinit { prefetcher?.cancel() }

    func tensor(_ name: String, _ shape: [Int]) throws -> AlignedBuffer<Float> {
        lock.lock()
        defer { lock.unlock() }
        guard let planned = engine.plannedTensor(name), let index = engine.index(of: name) else {
            throw TensorSourceError.missingTensor(file: engine.base.path, tensor: name)
        }
        guard planned.shape == shape else {
            throw TensorSourceError.shapeMismatch(file: engine.base.path, tensor: name, expected: shape, found: planned.shape)
        }
        if prefetcher == nil && index == 0 { prefetcher = engine.makePrefetcher(parallelism: parallelism) }
        let values: AlignedBuffer<Float>
        if let prefetcher, prefetcher.nextIndex == index {
            values = try prefetcher.take(index)
        } else {
            values = try engine.mergeTensor(name)
        }
        finished += 1
        bytesDone += planned.elementCount * 4
        progress?(MergeProgress(tensorIndex: finished, tensorCount: engine.tensors.count, tensorName: name,
                                bytesDone: bytesDone, bytesTotal: engine.totalBytes))
        return values
    }
}
