// slerp: spherical interpolation between the base and one other model, over each tensor as a whole.
import Foundation

/// Interpolates along the great circle between the two flattened tensors; nearly colinear or opposite
/// tensors (|cos| > 0.9995) fall back to linear interpolation, where the sine ratio is ill-conditioned.
public struct SlerpMerge: MergeMethod {
    public static let name = "slerp"
    public static let referenceURL = "https://en.wikipedia.org/wiki/Slerp"
    public static let parameters: [MergeParameterSpec] = [.number("t", .global, default: nil, .unitClosed)]
    public static let basePolicy = BasePolicy.required
    public static let modelCount = 1...1

    static let dotThreshold = 0.9995
    static let normEpsilon = 1e-8

    public init() {}

    public func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
                      into output: UnsafeMutableBufferPointer<Float>) throws {
        guard let a = inputs.base else { throw MergeError.baseModelRequired(method: Self.name) }
        let b = inputs.models[0]
        let t = try parameters.number("t")
        var normA: Double = 0, normB: Double = 0, dot: Double = 0
        for j in 0..<a.count {
            normA += Double(a[j]) * Double(a[j])
            normB += Double(b[j]) * Double(b[j])
        }
        normA = normA.squareRoot(); normB = normB.squareRoot()
        if normA <= Self.normEpsilon { normA = 1 }
        if normB <= Self.normEpsilon { normB = 1 }
        for j in 0..<a.count { dot += (Double(a[j]) / normA) * (Double(b[j]) / normB) }
        dot = min(1, max(-1, dot))

        let coefficientA: Float, coefficientB: Float
        if abs(dot) > Self.dotThreshold {
            coefficientA = Float(1 - t)
            coefficientB = Float(t)
        } else {
            let theta = acos(dot)
            let sinTheta = sin(theta)
            coefficientA = Float(sin((1 - t) * theta) / sinTheta)
            coefficientB = Float(sin(t * theta) / sinTheta)
        }
        for j in 0..<a.count { output[j] = coefficientA * a[j] + coefficientB * b[j] }
    }
}
