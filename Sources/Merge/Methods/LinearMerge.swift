// linear: the weighted average Σ wᵢθᵢ / Σ wᵢ — with equal weights, the paper's plain weight averaging.

/// Takes no base: every input is averaged as is; a named base is averaged in as one more input (mergekit's rule).
public struct LinearMerge: MergeMethod {
    public static let name = "linear"
    public static let referenceURL = "https://arxiv.org/abs/2203.05482"
    public static let parameters: [MergeParameterSpec] = [
        .number("weight", .perModel, default: nil, .positive),
        .flag("normalize", default: true),
    ]
    public static let basePolicy = BasePolicy.ignored
    public static let modelCount = 1...Int.max

    public init() {}

    public func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        let weights = try inputs.models.indices.map { Float(try parameters.number("weight", model: $0)) }
        // Sum first, divide once at the end, in float32: mergekit's order of rounding.
        output.initialize(repeating: 0)
        for (model, weight) in zip(inputs.models, weights) {
            for j in 0..<output.count { output[j] += model[j] * weight }
        }
        guard try parameters.flag("normalize") else { return }
        var total: Float = 0
        for w in weights { total += w }
        for j in 0..<output.count { output[j] /= total }
    }
}
