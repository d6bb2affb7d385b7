// A linear layer y = x·Wᵀ over a batch of rows; the forward pass sees only this, so f32 and int8 weights share one path.
import Quant

public protocol LinearLayer: Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// Memory the weights take (for the server's memory budget).
    var byteCount: Int { get }
    /// y[rows, outFeatures] = x[rows, inFeatures] · Wᵀ.
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>)
}

/// f32 weights in PyTorch layout [outFeatures, inFeatures]: the reference path.
public struct F32Linear: LinearLayer {
    public let weight: AlignedBuffer<Float>   // (outFeatures, inFeatures)
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: AlignedBuffer<Float>, outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures, "F32Linear weight size does not match its shape")
        self.weight = weight
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
    }

    public var byteCount: Int { weight.byteCount }

    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        F32.matmulTransposed(x: x, rows: rows, w: weight.pointer, outFeatures: outFeatures, inFeatures: inFeatures, into: y)
    }
}
