// The generalized task-arithmetic merge that task_arithmetic, TIES, DARE, breadcrumbs and DELLA configure.

/// How a task-vector method differs from plain task arithmetic: mergekit's GeneralizedTaskArithmeticMerge fields.
public struct TaskVectorRecipe: Sendable, Equatable {
    public var sparsification: Sparsification?
    public var consensus: SignConsensus?
    public var defaultNormalize: Bool
    public var defaultRescale: Bool

    public init(sparsification: Sparsification?, consensus: SignConsensus?, defaultNormalize: Bool, defaultRescale: Bool) {
        self.sparsification = sparsification
        self.consensus = consensus
        self.defaultNormalize = defaultNormalize
        self.defaultRescale = defaultRescale
    }
}

/// TIES' sign election: keep, per entry, only the weighted deltas whose sign agrees with the majority.
public enum SignConsensus: Sendable, Equatable {
    /// The sign of the sum of weighted deltas (the TIES paper).
    case sum
    /// The sign held by more weighted deltas.
    case count
}

/// A method that is one configuration of the generalized task-arithmetic merge. Conformers only name
/// themselves and give their recipe; parameters and merging come from here.
public protocol TaskVectorMethod: MergeMethod {
    static var recipe: TaskVectorRecipe { get }
}

extension TaskVectorMethod {
    public static var basePolicy: BasePolicy { .required }
    public static var modelCount: ClosedRange<Int> { 1...Int.max }

    /// mergekit 0.1.5's parameters: lambda is one value for the whole merge; density, gamma and epsilon per model.
    public static var parameters: [MergeParameterSpec] {
        var specs: [MergeParameterSpec] = [
            .flag("int8_mask", default: false),
            .flag("normalize", default: recipe.defaultNormalize),
            .flag("rescale", default: recipe.defaultRescale),
            .number("lambda", .global, default: 1, .finite),
            .number("weight", .perModel, default: nil, .nonZero),
            .number("density", .perModel, default: 1, .unitOpenBelow),
        ]
        if recipe.sparsification == .magnitudeOutliers {
            specs.append(.number("gamma", .perModel, default: 0.01, .unitOpenAbove))
        }
        if recipe.sparsification == .rankedRandom {
            specs.append(.number("epsilon", .perModel, default: 0.15, .unitOpenAbove))
        }
        return specs
    }

    /// DELLA's keep probabilities density ± epsilon must stay inside (0, 1) wherever it sparsifies.
    public static func validate(_ parameters: ResolvedParameters) throws {
        guard recipe.sparsification == .rankedRandom else { return }
        for index in parameters.perModel.indices {
            let density = try parameters.number("density", model: index)
            let epsilon = try parameters.number("epsilon", model: index)
            if density < 1 && (density + epsilon >= 1 || density - epsilon <= 0) {
                throw MergeError.invalidParameter(
                    method: name, parameter: "epsilon", model: parameters.modelNames[index], value: epsilon,
                    requirement: "small enough that density ± epsilon (density \(density)) stays inside (0, 1)")
            }
        }
    }

    public func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        try TaskVectorMerge(recipe: Self.recipe).merge(inputs, parameters: parameters, random: &random, into: output)
    }
}

/// θ = θ_base + λ · combine(wᵢ · sparsify(θᵢ − θ_base)), with combine a plain or sign-elected sum,
/// normalized by the weights that took part when `normalize` is on. Float32 throughout like mergekit.
struct TaskVectorMerge {
    let recipe: TaskVectorRecipe

    func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
               into output: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = inputs.base else { throw MergeError.baseModelRequired(method: parameters.method) }
        let count = inputs.elementCount
        let modelCount = inputs.models.count
        guard modelCount > 0 else {
            _ = output.initialize(from: base)
            return
        }
        let normalize = try parameters.flag("normalize")
        let rescale = try parameters.flag("rescale")
        let lambda = Float(try parameters.number("lambda"))

        if StreamedTaskVectorMerge.applies(recipe, rescale: rescale) {
            var weights: [Float] = []
            var keeps: [StreamedTaskVectorMerge.Keep] = []
            for (m, model) in inputs.models.enumerated() {
                weights.append(Float(try parameters.number("weight", model: m)))
                let density = recipe.sparsification == nil ? 1 : try parameters.number("density", model: m)
                keeps.append(density < 1 && count > 0
                             ? StreamedTaskVectorMerge.keepLargest(max(1, Int(density * Double(count))), model: model, base: base)
                             : .everything)
            }
            StreamedTaskVectorMerge(consensus: recipe.consensus, normalize: normalize, lambda: lambda)
                .merge(base: base, models: inputs.models, weights: weights, keeps: keeps, into: output)
            return
        }

        // Weighted, sparsified task vectors, one row per model: (model, element).
        var deltas = [Float](repeating: 0, count: modelCount * count)
        var weights = [Float](repeating: 0, count: modelCount)
        try deltas.withUnsafeMutableBufferPointer { all in
            for (m, model) in inputs.models.enumerated() {
                let delta = UnsafeMutableBufferPointer(rebasing: all[(m * count)..<((m + 1) * count)])
                for j in 0..<count { delta[j] = model[j] - base[j] }
                if let kind = recipe.sparsification {
                    let options = SparsifyOptions(
                        density: try parameters.number("density", model: m),
                        gamma: kind == .magnitudeOutliers ? try parameters.number("gamma", model: m) : 0,
                        epsilon: kind == .rankedRandom ? try parameters.number("epsilon", model: m) : 0,
                        rescale: rescale)
                    Sparsifier.apply(kind, to: delta, shape: inputs.shape, options: options, random: &random)
                }
                let weight = Float(try parameters.number("weight", model: m))
                weights[m] = weight
                for j in 0..<count { delta[j] *= weight }
            }
        }

        switch recipe.consensus {
        case .some(let consensus):
            for j in 0..<count {
                let majority = majoritySign(deltas, element: j, stride: count, models: modelCount, consensus)
                var mixed: Float = 0
                var divisor: Float = 0
                for m in 0..<modelCount {
                    let d = deltas[m * count + j]
                    // A zero delta has sign 0 and agrees with neither side, so it adds nothing to the divisor.
                    if sign(d) == majority {
                        mixed += d
                        divisor += weights[m]
                    }
                }
                if divisor == 0 { divisor = 1 }
                output[j] = base[j] + finish(mixed, divisor: divisor, normalize: normalize, lambda: lambda)
            }
        case .none:
            var divisor: Float = 0
            for w in weights { divisor += w }
            if abs(divisor) < 1e-8 { divisor = 1 }
            for j in 0..<count {
                var mixed: Float = 0
                for m in 0..<modelCount { mixed += deltas[m * count + j] }
                output[j] = base[j] + finish(mixed, divisor: divisor, normalize: normalize, lambda: lambda)
            }
        }
    }

    @inline(__always)
    private func finish(_ mixed: Float, divisor: Float, normalize: Bool, lambda: Float) -> Float {
        var x = mixed
        if normalize { x /= divisor }
        if lambda != 1 { x *= lambda }
        return x
    }

    @inline(__always)
    private func sign(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }

    /// +1 or −1; ties and all-zero columns go to +1 as in mergekit (`>= 0`).
    private func majoritySign(_ deltas: [Float], element j: Int, stride: Int, models: Int,
                              _ consensus: SignConsensus) -> Float {
        var total: Float = 0
        for m in 0..<models {
            let d = deltas[m * stride + j]
            total += consensus == .sum ? d : sign(d)
        }
        return total >= 0 ? 1 : -1
    }
}
