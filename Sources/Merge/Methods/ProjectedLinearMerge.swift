// projected_linear: weight averaging in which the untrusted model may only move a weight matrix along directions
// the trusted donors also moved it in. A backdoor needs a feature the clean fine-tunes never learned (reading a
// trigger, whatever its form); that feature's directions lie outside the donors' spans and are cut, while the
// update the untrusted model shares with same-task donors survives. Uses no data and no knowledge of the trigger.

/// θ = θ_base + Σ wᵢ·δᵢ′ / Σ wᵢ, where δᵢ′ = δᵢ for a donor and, for the untrusted model, δ′ = P_col·δ·P_row: its task
/// vector projected onto the column and row spaces the donors' task vectors span together (per tensor; a 1-D
/// tensor is one row). With δ′ = δ this is `linear` over the fine-tunes.
public struct ProjectedLinearMerge: MergeMethod {
    public static let name = "projected_linear"
    // The free-lunch paper this defends with; the projection itself is ours, measured in docs/defense.md.
    public static let referenceURL = "https://arxiv.org/abs/2402.19334"
    public static let parameters: [MergeParameterSpec] = [
        .number("weight", .perModel, default: nil, .positive),
        .flag("normalize", default: true),
        // Sketch vectors per donor and side: a LoRA donor of rank r needs r (its span is found exactly); a full
        // fine-tune contributes its strongest `rank` directions.
        .number("rank", .global, default: 32, .positive),
    ]
    public static let basePolicy = BasePolicy.required
    public static let modelCount = 2...Int.max

    public init() {}

    public static func validate(_ parameters: ResolvedParameters) throws {
        let rank = try parameters.number("rank")
        if rank != rank.rounded() || rank > 4096 {
            throw MergeError.invalidParameter(method: name, parameter: "rank", model: nil, value: rank,
                                              requirement: "a whole number from 1 to 4096")
        }
    }

    public func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = inputs.base else { throw MergeError.baseModelRequired(method: Self.name) }
        guard let suspect = inputs.suspect else { throw MergeError.suspectRequired(method: Self.name) }
        let count = inputs.elementCount
        let rows = inputs.shape.count >= 2 ? inputs.shape[0] : 1
        let columns = count / max(rows, 1)
        let weights = try inputs.models.indices.map { Float(try parameters.number("weight", model: $0)) }

        let sketch = Int(try parameters.number("rank"))
        let normalize = try parameters.flag("normalize")

        // Donors as in linear: Σ wᵢ·(θᵢ − θ_base), accumulated straight from the inputs.
        output.initialize(repeating: 0)
        for m in inputs.models.indices where m != suspect {
            let model = inputs.models[m], w = weights[m]
            for j in 0..<count { output[j] += w * (model[j] - base[j]) }
        }
        let suspectDelta = (0..<count).map { inputs.models[suspect][$0] - base[$0] }
        // Most tensors of a LoRA suspect (embeddings, norms) are untouched: nothing to project.
        if suspectDelta.contains(where: { $0 != 0 }) {
            let donorDeltas = inputs.models.indices.filter { $0 != suspect }.map { m in
                (0..<count).map { inputs.models[m][$0] - base[$0] }
            }
            let span = donorDeltas.withUnsafeBufferPointers { buffers in
                DonorSpan(matrices: buffers, rows: rows, columns: columns, sketch: sketch, random: &random)
            }
            var projected = [Float](repeating: 0, count: count)
            suspectDelta.withUnsafeBufferPointer { d in
                projected.withUnsafeMutableBufferPointer { span.project(d, rows: rows, columns: columns, into: $0) }
            }
            let w = weights[suspect]
            for j in 0..<count { output[j] += w * projected[j] }
        }

        var total: Float = 0
        for w in weights { total += w }
        let divisor = normalize ? total : 1
        for j in 0..<count { output[j] = base[j] + output[j] / divisor }
    }
}

private extension Array where Element == [Float] {
    /// Runs `body` with a buffer pointer to every array at once.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafeBufferPointer<Float>]) -> R) -> R {
        func nest(_ index: Int, _ done: [UnsafeBufferPointer<Float>]) -> R {
            if index == count { return body(done) }
            return self[index].withUnsafeBufferPointer { nest(index + 1, done + [$0]) }
        }
        return nest(0, [])
    }
}
