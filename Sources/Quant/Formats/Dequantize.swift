// Dequantization of ggml block formats and plain element types to f32.

public enum DequantizeError: Error, CustomStringConvertible, Equatable {
    case unsupportedType(GGMLType)
    case sizeMismatch(type: GGMLType, elements: Int, bytes: Int)

    public var description: String {
        switch self {
        case .unsupportedType(let t):
            return "dequantizing \(t) is not supported (supported: \(Dequantizer.supported.map(\.description).joined(separator: ", ")))"
        case .sizeMismatch(let t, let n, let b):
            return "\(n) values of \(t) need \(t.byteCount(elements: n).map(String.init) ?? "a whole number of blocks"), got \(b) bytes"
        }
    }
}

public enum Dequantizer {
    public static let supported: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q6_K]

    /// Decodes `count` values of `type` from `source` into `destination` (which must hold `count` floats).
    public static func dequantize(_ type: GGMLType, source: UnsafeRawBufferPointer, count: Int,
                                  into destination: UnsafeMutablePointer<Float>) throws(DequantizeError) {
        guard let need = type.byteCount(elements: count), need <= source.count else {
            throw .sizeMismatch(type: type, elements: count, bytes: source.count)
        }
        guard let base = source.baseAddress else { return }
        let blocks = count / type.blockSize
        switch type {
        case .f32:
            UnsafeMutableRawPointer(destination).copyMemory(from: base, byteCount: count * 4)
        case .f16:
            for i in 0..<count { destination[i] = f16ToFloat(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            for i in 0..<count { destination[i] = bf16ToFloat(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .q8_0:
            for b in 0..<blocks { dequantizeQ8_0(block: base + b * 34, into: destination + b * 32) }
        case .q4_0:
            for b in 0..<blocks { dequantizeQ4_0(block: base + b * 18, into: destination + b * 32) }
        case .q4_1:
            for b in 0..<blocks { dequantizeQ4_1(block: base + b * 20, into: destination + b * 32) }
        case .q4_K:
            for b in 0..<blocks { dequantizeQ4_K(block: base + b * 144, into: destination + b * 256) }
        case .q6_K:
            for b in 0..<blocks { dequantizeQ6_K(block: base + b * 210, into: destination + b * 256) }
        default:
            throw .unsupportedType(type)
        }
    }

    /// Q8_0: f16 scale d, then 32 signed bytes; x = d·q.
    @inline(__always)
    static func dequantizeQ8_0(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = f16ToFloat(block.loadUnaligned(as: UInt16.self))
        let q = (block + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { out[j] = d * Float(q[j]) }
    }

    /// Q4_0: f16 scale d, 16 bytes of nibbles; low nibbles are values 0–15, high 16–31; x = d·(q − 8).
    @inline(__always)
    static func dequantizeQ4_0(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = f16ToFloat(block.loadUnaligned(as: UInt16.self))
        let q = (block + 2).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            out[j] = d * Float(Int(q[j] & 0x0F) - 8)
            out[j + 16] = d * Float(Int(q[j] >> 4) - 8)
        }
    }

    /// Q4_1: f16 scale d, f16 minimum m, 16 bytes of nibbles; x = d·q + m.
    @inline(__always)
    static func dequantizeQ4_1(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = f16ToFloat(block.loadUnaligned(as: UInt16.self))
        let m = f16ToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let q = (block + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            out[j] = d * Float(q[j] & 0x0F) + m
            out[j + 16] = d * Float(q[j] >> 4) + m
        }
    }
}
