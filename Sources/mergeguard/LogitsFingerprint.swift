// A hash of what a bench run computed (the greedy tokens and the last logits' bits), so a faster build can show it
// still computes bit-identical results: two binaries with the same fingerprint produced the same floats.

struct LogitsFingerprint {
    /// FNV-1a, 64-bit: tiny, order-sensitive, and plenty to tell two runs' floats apart.
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(word: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            value ^= (word >> UInt64(shift)) & 0xff
            value = value &* 0x100_0000_01b3
        }
    }

    mutating func add(token: Int) { add(word: UInt64(bitPattern: Int64(token))) }

    mutating func add(logits: UnsafeBufferPointer<Float>) {
        for v in logits { add(word: UInt64(v.bitPattern)) }
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
