// The seedable random stream behind DARE's and DELLA's masks.

/// xoshiro256** seeded through SplitMix64 from a seed and a stream name (the tensor's), so every tensor's
/// masks are reproducible on their own. It cannot reproduce torch's generator bit for bit, so random
/// methods are tested statistically (keep rate, rescaling), not against mergekit's exact masks.
public struct MergeRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64, stream: String = "") {
        // FNV-1a of the stream name, mixed into the seed.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var x = seed ^ hash
        func splitMix() -> UInt64 {
            x &+= 0x9e37_79b9_7f4a_7c15
            var z = x
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 24 random bits, the resolution of a Float.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// True with probability `p` (0 never, 1 always).
    public mutating func bernoulli(_ p: Float) -> Bool { nextUnitFloat() < p }
}
