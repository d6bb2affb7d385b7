// Errors of the int8 path: shapes the block format cannot hold, and kernel choices the CPU cannot run.

public enum Int8Error: Error, Equatable, CustomStringConvertible {
    /// Blocks never straddle rows, so every row must be whole blocks.
    case columnsNotMultipleOfBlock(columns: Int, blockSize: Int)
    case sizeMismatch(expected: Int, got: Int)
    case unknownKernel(name: String, known: [String])
    case kernelUnsupported(kernel: String, supported: [String])

    public var description: String {
        switch self {
        case .columnsNotMultipleOfBlock(let c, let b):
            return "int8 weights need a column count that is a multiple of \(b), got \(c); keep this matrix in f32"
        case .sizeMismatch(let e, let g):
            return "int8 quantization expected \(e) values, got \(g)"
        case .unknownKernel(let name, let known):
            return "unknown int8 kernel '\(name)' in \(Int8Kernel.environmentVariable); use one of \(known.joined(separator: ", "))"
        case .kernelUnsupported(let k, let s):
            return "this CPU cannot run the \(k) int8 kernel (\(Int8Kernel.environmentVariable)); it supports \(s.joined(separator: ", "))"
        }
    }
}
