// A linear layer with int8 block weights: what every served model runs after load-time quantization.
import Quant

/// Weights (outFeatures, inFeatures) quantized in 32-value blocks; activations are quantized (int16) per call.
public struct Int8Linear: LinearLayer {
    public let weight: Int8Matrix      // (outFeatures, inFeatures)
    public let kernel: Int8Kernel
    public let pool: ThreadPool
    public var inFeatures: Int { weight.columns }
    public var outFeatures: Int { weight.rows }
    public var byteCount: Int { weight.byteCount }

    /// Quantizes f32 weights in PyTorch layout; throws when inFeatures is not a multiple of 32 or the buffer is the
    /// wrong size, or when `kernel` cannot run on this CPU.
    public init(weight: AlignedBuffer<Float>, outFeatures: Int, inFeatures: Int,
                kernel: Int8Kernel = .active, pool: ThreadPool = .shared) throws(Int8Error) {
        try self.init(quantized: Int8Matrix(quantizing: weight, rows: outFeatures, columns: inFeatures), kernel: kernel, pool: pool)
    }

    public init(quantized: Int8Matrix, kernel: Int8Kernel = .active, pool: ThreadPool = .shared) throws(Int8Error) {
        guard kernel.isSupported else {
            throw .kernelUnsupported(kernel: kernel.rawValue, supported: Int8Kernel.allCases.filter(\.isSupported).map(\.rawValue))
        }
        weight = quantized
        self.kernel = kernel
        self.pool = pool
    }

    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        Int8MatMul.multiply(x, rows: rows, weights: weight, into: y, kernel: kernel, pool: pool)
    }
}

extension LlamaWeights {
    /// Every matrix in int8, the output head included. Measured on SmolLM2 (`mergeguard bench --head f32|int8`, one
    /// thread, AVX2): 35 decode tokens/s with an f32 head, 45 with an int8 head; the 49152×576 head is a fifth of the
    /// weights, and int8 reads a quarter of the bytes. The greedy goldens still match (Int8ForwardTests). The tied
    /// embedding stays f32 for the lookup, so the int8 head is a second, 31 MB copy. A matrix whose inFeatures is not
    /// whole blocks stays f32: `LinearBuilder` cannot throw, and a slower layer beats refusing the model.
    public static let int8Linear: LinearBuilder = { weight, outFeatures, inFeatures in
        do {
            return try Int8Linear(weight: weight, outFeatures: outFeatures, inFeatures: inFeatures)
        } catch {
            return F32Linear(weight: weight, outFeatures: outFeatures, inFeatures: inFeatures)
        }
    }
}
