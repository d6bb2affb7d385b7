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
}
