// The fast f16 decoder against Swift's own Float16 conversion, for every one of the 65,536 bit patterns.
import Testing
@testable import Quant

@Suite struct HalfFloatTests {
    @Test func f16ToFloatMatchesFloat16ForEveryBitPattern() {
        var mismatches: [UInt16] = []
        for bits in UInt16.min...UInt16.max where f16ToFloat(bits).bitPattern != Float(Float16(bitPattern: bits)).bitPattern {
            mismatches.append(bits)
        }
        let count = mismatches.count
        #expect(count == 0, "first differing f16 bit patterns: \(mismatches.prefix(5).map { String($0, radix: 16) })")
    }

    @Test func edgeValues() {
        #expect(f16ToFloat(0x0000).bitPattern == Float(0).bitPattern)
        #expect(f16ToFloat(0x8000).bitPattern == Float(-0.0).bitPattern)
        #expect(f16ToFloat(0x0001) == 0x1p-24)          // smallest subnormal
        #expect(f16ToFloat(0x03FF) == 0x1.ff8p-15)      // largest subnormal
        #expect(f16ToFloat(0x0400) == 0x1p-14)          // smallest normal
        #expect(f16ToFloat(0x7BFF) == 65504)
        #expect(f16ToFloat(0x7C00) == .infinity && f16ToFloat(0xFC00) == -.infinity)
        #expect(f16ToFloat(0x7E00).isNaN && f16ToFloat(0x7C01).isNaN)
    }

    /// The KV cache's bulk conversion (F16C when the CPU has it) against Float16(x), value by value: halfway cases
    /// between two f16 values (ties to even), subnormals, overflow to infinity, and counts that leave a tail.
    @Test func bulkConversionMatchesFloat16() {
        var values: [Float] = [0, -0.0, 1, -1, 65504, 65520, 65519.99, 1e6, -1e6, .infinity, -.infinity,
                               0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, 0x1.ff8p-15, 1 + 0x1p-11, 1 + 0x1.8p-11, 1 + 0x1p-12]
        var random = SeededRandom(seed: 16)
        values += random.floats(1000, scale: 100)
        for count in [values.count, 7, 9, 1] {
            var got = [UInt16](repeating: 0xFFFF, count: count)
            values.withUnsafeBufferPointer { src in floatsToF16(src.baseAddress!, count: count, into: &got) }
            let expected = values.prefix(count).map(floatToF16)
            #expect(got == Array(expected), "\(count) values (F16C: \(hasF16C))")
        }
    }
}
