// Dequantization of ggml's 256-value K-quant super-blocks (Q4_K, Q6_K), matching gguf-py's quants.py bit for bit.

extension Dequantizer {
    /// Q4_K (144 bytes): f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins for eight 32-value
    /// sub-blocks, then 128 bytes of nibbles. Each 32-byte run of nibbles holds two sub-blocks:
    /// low nibbles the first, high nibbles the second. x = (d·scale)·q − (dmin·min).
    @inline(__always)
    static func dequantizeQ4_K(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = f16ToFloat(block.loadUnaligned(as: UInt16.self))
        let dmin = f16ToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let packed = (block + 4).assumingMemoryBound(to: UInt8.self)
        let q = (block + 16).assumingMemoryBound(to: UInt8.self)
        for pair in 0..<4 {
            let (scaleLow, minLow) = q4KScaleAndMin(packed, subBlock: 2 * pair)
            let (scaleHigh, minHigh) = q4KScaleAndMin(packed, subBlock: 2 * pair + 1)
            // Products are rounded to f32 before use, as gguf-py does; fusing them would change the last bit.
            let dLow = d * Float(scaleLow), mLow = dmin * Float(minLow)
            let dHigh = d * Float(scaleHigh), mHigh = dmin * Float(minHigh)
            let nibbles = q + 32 * pair
            let lowOut = out + 64 * pair, highOut = out + 64 * pair + 32
            for l in 0..<32 {
                let byte = nibbles[l]
                lowOut[l] = dLow * Float(byte & 0x0F) - mLow
                highOut[l] = dHigh * Float(byte >> 4) - mHigh
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0–7) from Q4_K's 12 packed bytes: sub-blocks 0–3 keep
    /// theirs in the low 6 bits of bytes 0–3 (scales) and 4–7 (mins); sub-blocks 4–7 take their low
    /// 4 bits from the nibbles of bytes 8–11 and their top 2 bits from the spare high bits of bytes 0–7.
    @inline(__always)
    static func q4KScaleAndMin(_ packed: UnsafePointer<UInt8>, subBlock j: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (packed[j] & 0x3F, packed[j + 4] & 0x3F)
        }
        let scale = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 2) & 0x30)
        let min = (packed[j + 4] >> 4) | ((packed[j] >> 2) & 0x30)
        return (scale, min)
    }

    /// Q6_K (210 bytes): 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales (one per
    /// 16 values), f16 d. Each 128-value half uses 64 ql bytes and 32 qh bytes: value l + 32·k of the half
    /// takes its low bits from ql[l] (k even) or ql[l + 32] (k odd), low nibble for k < 2, high otherwise,
    /// and its high bits from bits 2k…2k+1 of qh[l]. x = (d·scale)·(q − 32).
    @inline(__always)
    static func dequantizeQ6_K(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let ql = block.assumingMemoryBound(to: UInt8.self)
        let qh = (block + 128).assumingMemoryBound(to: UInt8.self)
        let scales = (block + 192).assumingMemoryBound(to: Int8.self)
        let d = f16ToFloat(block.loadUnaligned(fromByteOffset: 208, as: UInt16.self))
        for half in 0..<2 {
            let low = ql + 64 * half, high = qh + 32 * half, sc = scales + 8 * half
            let y = out + 128 * half
            for group in 0..<2 {
                // Scales cover 16 values; within a half, value l + 32·k uses scale (l / 16) + 2·k.
                let d0 = d * Float(sc[group]), d1 = d * Float(sc[group + 2])
                let d2 = d * Float(sc[group + 4]), d3 = d * Float(sc[group + 6])
                for l in (16 * group)..<(16 * group + 16) {
                    let h = high[l]
                    let q0 = Int32(low[l] & 0x0F | (h & 0x03) << 4) - 32
                    let q1 = Int32(low[l + 32] & 0x0F | ((h >> 2) & 0x03) << 4) - 32
                    let q2 = Int32(low[l] >> 4 | ((h >> 4) & 0x03) << 4) - 32
                    let q3 = Int32(low[l + 32] >> 4 | (h >> 6) << 4) - 32
                    y[l] = d0 * Float(q0)
                    y[l + 32] = d1 * Float(q1)
                    y[l + 64] = d2 * Float(q2)
                    y[l + 96] = d3 * Float(q3)
                }
            }
        }
    }
}
