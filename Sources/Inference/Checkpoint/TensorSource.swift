// The common face of every checkpoint reader: named tensors with shapes, read out as f32.

/// A read-only collection of named tensors (a GGUF file, a safetensors file, a sharded HF checkpoint).
/// Shapes are in PyTorch order (slowest-varying first). Names are the format's own (GGUF or HF).
public protocol TensorSource: Sendable {
    /// A path for error messages.
    var sourcePath: String { get }
    var tensorNames: [String] { get }
    func shape(of name: String) -> [Int]?
    /// Decodes the tensor into `destination`, which must hold its element count of floats.
    func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws
}

extension TensorSource {
    public func elementCount(of name: String) -> Int? { shape(of: name).map { $0.reduce(1, *) } }

    public func readFloats(_ name: String) throws -> [Float] {
        guard let n = elementCount(of: name) else { throw TensorSourceError.missingTensor(file: sourcePath, tensor: name) }
        var out = [Float](repeating: 0, count: n)
        try out.withUnsafeMutableBufferPointer { try readFloats(name, into: $0.baseAddress!) }
        return out
    }
}

public enum TensorSourceError: Error, CustomStringConvertible, Equatable {
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingTensor(let f, let t): return "\(f): tensor \"\(t)\" is missing"
        case .shapeMismatch(let f, let t, let e, let got): return "\(f): tensor \"\(t)\" has shape \(got), expected \(e)"
        }
    }
}

extension GGUFFile: TensorSource {
    public var sourcePath: String { path }
    public var tensorNames: [String] { tensors.map(\.name) }
    public func shape(of name: String) -> [Int]? { tensorInfo(name)?.shape }
    public func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        try dequantize(name, into: destination)
    }
}
