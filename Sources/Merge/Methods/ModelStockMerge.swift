// model_stock: move from the base toward the fine-tunes' mean by a factor set by how aligned their task vectors are.

/// t = N·cosθ / (1 + (N−1)·cosθ) with cosθ the mean pairwise cosine of the task vectors, over the whole
/// tensor or (filter_wise) per row; θ = t·mean(θᵢ) + (1 − t)·θ_base.
public struct ModelStockMerge: MergeMethod {
    public static let name = "model_stock"
    public static let referenceURL = "https://arxiv.org/abs/2403.19522"
    public static let parameters: [MergeParameterSpec] = [.flag("filter_wise", default: false)]
    public static let basePolicy = BasePolicy.required
    /// The mean pairwise cosine needs at least one pair.
    public static let modelCount = 2...Int.max

    public init() {}

    public func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = inputs.base else { throw MergeError.baseModelRequired(method: Self.name) }
        let models = inputs.models
        let count = inputs.elementCount
        // filter_wise works on the last dimension's vectors (a vector tensor is one row), as mergekit's dim=-1.
        let rowLength = try parameters.flag("filter_wise") ? max(inputs.shape.last ?? count, 1) : max(count, 1)
        let n = Float(models.count)
        var row = 0
        while row * rowLength < count {
            let range = (row * rowLength)..<min(count, (row + 1) * rowLength)
            let t = interpolationFactor(base: base, models: models, range: range)
            for j in range {
                var sum: Float = 0
                for model in models { sum += model[j] }
                output[j] = t * (sum / n) + (1 - t) * base[j]
            }
            row += 1
        }
    }

    private func interpolationFactor(base: UnsafeBufferPointer<Float>, models: [UnsafeBufferPointer<Float>],
                                     range: Range<Int>) -> Float {
        var cosines: [Double] = []
        for a in models.indices {
            for b in (a + 1)..<models.count {
                var dot: Double = 0, normA: Double = 0, normB: Double = 0
                for j in range {
                    let x = Double(models[a][j] - base[j]), y = Double(models[b][j] - base[j])
                    dot += x * y; normA += x * x; normB += y * y
                }
                let cosine = dot / max(Double(Float(normA.squareRoot() * normB.squareRoot())), 1e-6)
                cosines.append(min(1, max(-1, cosine)))
            }
        }
        let cosine = Float(cosines.reduce(0, +) / Double(cosines.count))
        let n = Float(models.count)
        let denominator = 1 + (n - 1) * cosine
        // At the singularity there is no finite estimate: keep the base rather than amplify opposing updates.
        return abs(denominator) < 1e-6 ? 0 : n * cosine / denominator
    }
}
