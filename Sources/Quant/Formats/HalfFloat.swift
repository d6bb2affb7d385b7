// IEEE half (f16) and bfloat16 conversions, as stored in GGUF and safetensors files.
import CKernels

/// Exact, and the same bits as `Float(Float16(bitPattern:))` (signalling NaNs come out quiet there too), but branch-free integer and
/// multiply work: without F16C the conversion is a library call per value, ten times slower on F16 tensors.
/// Placing the f16 exponent and mantissa into an f32 and scaling by 2^112 rebases the exponent bias (15 → 127)
/// and turns f16 subnormals into the right f32 normals; exponent 31 (infinity, NaN) maps to f32's 255.
@inline(__always)
public func f16ToFloat(_ bits: UInt16) -> Float {
    let magnitude = UInt32(bits & 0x7FFF) << 13
    let sign = UInt32(bits & 0x8000) << 16
    let scaled = (Float(bitPattern: magnitude) * 0x1p112).bitPattern
    // Infinity keeps a zero mantissa; NaNs come out quiet, as the hardware conversion makes them.
    let special = magnitude | (magnitude > 0x0F80_0000 ? 0x7FC0_0000 : 0x7F80_0000)
    return Float(bitPattern: sign | (magnitude >= 0x0F80_0000 ? special : scaled))
}

@inline(__always)
public func floatToF16(_ value: Float) -> UInt16 { Float16(value).bitPattern }

@inline(__always)
public func bf16ToFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

/// Round-to-nearest-even, as torch and safetensors do; NaN stays a quiet NaN.
@inline(__always)
public func floatToBF16(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
    let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
}

/// Whether the CPU converts f16 in hardware (F16C).
public let hasF16C = mg_cpu_features() & Int32(MG_CPU_F16C) != 0

/// dst[i] = floatToF16(src[i]) for i < count, eight values per instruction with F16C (the same bits for every
/// non-NaN value: both round to nearest even); one Float16 conversion at a time without.
@inline(__always)
public func floatsToF16(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutablePointer<UInt16>) {
    if hasF16C {
        mg_f32_to_f16_f16c(src, dst, Int64(count))
    } else {
        for i in 0..<count { dst[i] = floatToF16(src[i]) }
    }
}
