// The element types a safetensors header may name, their sizes, and how one element becomes a Float.
import Quant

/// Raw values are the exact strings of the header's "dtype" field.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case f8E4M3 = "F8_E4M3", f8E5M2 = "F8_E5M2"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .f8E4M3, .f8E5M2, .i8, .u8, .bool: 1
        }
    }

    /// The reference's dtype order (increasing alignment); its writer lays tensors out by descending rank, then name.
    var layoutRank: Int {
        switch self {
        case .bool: 0
        case .u8: 1
        case .i8: 2
        case .f8E5M2: 3
        case .f8E4M3: 4
        case .i16: 5
        case .u16: 6
        case .f16: 7
        case .bf16: 8
        case .i32: 9
        case .u32: 10
        case .f32: 11
        case .f64: 12
        case .i64: 13
        case .u64: 14
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8E4M3, .f8E5M2: true
        default: false
        }
    }

    /// Decodes `count` little-endian elements starting at `source` (no alignment needed) into Floats.
    /// 64-bit integers beyond 2^24 lose precision, as any conversion to f32 must.
    func decode(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32:
            // Safetensors is little-endian like every host we build for, so f32 is a plain copy.
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .f64: convert(source, count, destination, Double.self) { Float($0) }
        case .f16: convert(source, count, destination, UInt16.self) { f16ToFloat($0) }
        case .bf16: convert(source, count, destination, UInt16.self) { bf16ToFloat($0) }
        case .f8E4M3: convert(source, count, destination, UInt8.self) { Float8.e4m3fnToFloat($0) }
        case .f8E5M2: convert(source, count, destination, UInt8.self) { Float8.e5m2ToFloat($0) }
        case .i64: convert(source, count, destination, Int64.self) { Float($0) }
        case .i32: convert(source, count, destination, Int32.self) { Float($0) }
        case .i16: convert(source, count, destination, Int16.self) { Float($0) }
        case .i8: convert(source, count, destination, Int8.self) { Float($0) }
        case .u64: convert(source, count, destination, UInt64.self) { Float($0) }
        case .u32: convert(source, count, destination, UInt32.self) { Float($0) }
        case .u16: convert(source, count, destination, UInt16.self) { Float($0) }
        case .u8: convert(source, count, destination, UInt8.self) { Float($0) }
        case .bool: convert(source, count, destination, UInt8.self) { $0 != 0 ? 1 : 0 }
        }
    }

    @inline(__always)
    private func convert<T>(_ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<Float>,
                            _ type: T.Type, _ toFloat: (T) -> Float) {
        let stride = MemoryLayout<T>.size
        for i in 0..<count {
            destination[i] = toFloat(source.loadUnaligned(fromByteOffset: i * stride, as: T.self))
        }
    }
}

/// The two 8-bit float formats of safetensors (OCP FP8, as torch.float8_e4m3fn / torch.float8_e5m2).
enum Float8 {
    /// E4M3FN: bias 7, no infinities; exponent and mantissa all ones (0x7F / 0xFF) is NaN.
    static func e4m3fnToFloat(_ bits: UInt8) -> Float {
        let sign: Float = bits & 0x80 != 0 ? -1 : 1
        let exponent = Int((bits >> 3) & 0x0F)
        let mantissa = Float(bits & 0x07)
        if exponent == 0x0F && bits & 0x07 == 0x07 { return .nan }
        if exponent == 0 { return sign * mantissa / 8 * Float(sign: .plus, exponent: -6, significand: 1) }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }

    /// E5M2: bias 15, IEEE-like (it is the top byte of an f16).
    static func e5m2ToFloat(_ bits: UInt8) -> Float { f16ToFloat(UInt16(bits) << 8) }
}
