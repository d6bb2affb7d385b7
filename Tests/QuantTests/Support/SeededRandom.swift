// A small deterministic generator (SplitMix64) so kernel tests see the same data on every run and machine.

struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Values in [-scale, scale], with an occasional outlier ×20 like real activations have.
    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in
            let v = Float.random(in: -scale...scale, using: &self)
            return Int.random(in: 0..<50, using: &self) == 0 ? v * 20 : v
        }
    }
}
