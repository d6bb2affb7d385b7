// IEEE half (f16) and bfloat16 conversions, as stored in GGUF and safetensors files.

@inline(__always)
public func f16ToFloat(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

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
