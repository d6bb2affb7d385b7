// projected_linear: weight averaging in which the untrusted model may only move a weight matrix along directions
// the trusted donors also moved it in. A backdoor needs a feature the clean fine-tunes never learned (reading a
// trigger, whatever its form); that feature's directions lie outside the donors' spans and are cut, while the
// update the untrusted model shares with same-task donors survives. Uses no data and no knowledge of the trigger.
import COpenBLAS

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
        let n = Int32(count)
        let out = output.baseAddress!

        // Donors as in linear: Σ wᵢ·(θᵢ − θ_base), accumulated straight from the inputs (BLAS, see DonorSpan).
        output.initialize(repeating: 0)
        for m in inputs.models.indices where m != suspect {
            cblas_saxpy(n, weights[m], inputs.models[m].baseAddress!, 1, out, 1)
            cblas_saxpy(n, -weights[m], base.baseAddress!, 1, out, 1)
        }
        let suspectDelta = Self.delta(inputs.models[suspect], base)
        // Most tensors of a LoRA suspect (embeddings, norms) are untouched: nothing to project.
        if abs(suspectDelta[min(Int(cblas_isamax(n, suspectDelta, 1)), count - 1)]) > 0 {
            let donorDeltas = inputs.models.indices.filter { $0 != suspect }.map { Self.delta(inputs.models[$0], base) }
            let span = donorDeltas.withUnsafeBufferPointers { buffers in
                DonorSpan(matrices: buffers.map { $0.baseAddress! }, rows: rows, columns: columns, sketch: sketch,
                          random: &random)
            }
            var projected = [Float](repeating: 0, count: count)
            span.project(suspectDelta, rows: rows, columns: columns, into: &projected)
            cblas_saxpy(n, weights[suspect], projected, 1, out, 1)
        }

        var total: Float = 0
        for w in weights { total += w }
        if normalize { cblas_sscal(n, 1 / total, out, 1) }
        cblas_saxpy(n, 1, base.baseAddress!, 1, out, 1)
    }

    private static func delta(_ model: UnsafeBufferPointer<Float>, _ base: UnsafeBufferPointer<Float>) -> [Float] {
        var d = Array(model)
        cblas_saxpy(Int32(model.count), -1, base.baseAddress!, 1, &d, 1)
        return d
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
