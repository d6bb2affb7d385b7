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
    public static let elementwise = true

    public init() {}

    public func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        let weights = try inputs.models.indices.map { Float(try parameters.number("weight", model: $0)) }
        let total = try parameters.flag("normalize") ? weights.reduce(0, +) : nil
        // Sum first, divide once at the end, in float32: mergekit's order of rounding. Block by block, so the partial
        // sums stay in L1 and each input is read once; the simple loops vectorize.
        let block = 4096
        var start = 0
        while start < output.count {
            let end = min(output.count, start + block)
            // The sum starts at +0 as mergekit's does: `0 +` turns a first product of −0 into +0, as adding it would.
            let first = inputs.models[0], firstWeight = weights[0]
            for j in start..<end { output[j] = 0 + first[j] * firstWeight }
            for (model, weight) in zip(inputs.models.dropFirst(), weights.dropFirst()) {
                for j in start..<end { output[j] += model[j] * weight }
            }
            if let total { for j in start..<end { output[j] /= total } }
            start = end
        }
    }
}
