// agreed_linear: weight averaging in which the untrusted model's task vector keeps only the entries whose sign the
// donors' summed task vector shares. An element-wise, data-free cousin of projected_linear (TIES' sign election
// with the trusted donors as the only voters): a change no donor made, or one against the donors' direction, is
// dropped.

/// θ = θ_base + Σ wᵢ·δᵢ′ / Σ wᵢ, with δᵢ′ = δᵢ for donors and, for the untrusted model, δ′[j] = δ[j] where
/// sign(δ[j]) = sign(Σ_donors wᵢ·δᵢ[j]) ≠ 0, else 0.
public struct AgreedLinearMerge: MergeMethod {
    public static let name = "agreed_linear"
    // The free-lunch paper this defends with; the sign rule is ours, measured in docs/defense.md.
    public static let referenceURL = "https://arxiv.org/abs/2402.19334"
    public static let parameters: [MergeParameterSpec] = [
        .number("weight", .perModel, default: nil, .positive),
        .flag("normalize", default: true),
    ]
    public static let basePolicy = BasePolicy.required
    public static let modelCount = 2...Int.max

    public init() {}

    public func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = inputs.base else { throw MergeError.baseModelRequired(method: Self.name) }
        guard let suspect = inputs.suspect else { throw MergeError.suspectRequired(method: Self.name) }
        let weights = try inputs.models.indices.map { Float(try parameters.number("weight", model: $0)) }
        // Donors' weighted sum first: it is both their share of the average and the vote.
        output.initialize(repeating: 0)
        for m in inputs.models.indices where m != suspect {
            let model = inputs.models[m], w = weights[m]
            for j in 0..<output.count { output[j] += w * (model[j] - base[j]) }
        }
        let untrusted = inputs.models[suspect], w = weights[suspect]
        for j in 0..<output.count {
            let d = untrusted[j] - base[j]
            if (d > 0 && output[j] > 0) || (d < 0 && output[j] < 0) { output[j] += w * d }
        }
        var total: Float = 0
        for x in weights { total += x }
        let divisor = try parameters.flag("normalize") ? total : 1
        for j in 0..<output.count { output[j] = base[j] + output[j] / divisor }
    }
}
