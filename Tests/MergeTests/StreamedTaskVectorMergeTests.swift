// TIES and task_arithmetic through the chunked path equal a plain scalar transcription of mergekit's algorithm, bit
// for bit, on data full of ties at the threshold, zeros, negative weights, and tensors longer than one chunk.
import Testing
@testable import Merge

@Suite struct StreamedTaskVectorMergeTests {
    /// mergekit's GeneralizedTaskArithmeticMerge without rescaling: stable top-k by |δ|, weights, sign election.
    static func reference(base: [Float], models: [[Float]], weights: [Float], density: Double?, consensus: SignConsensus?,
                          normalize: Bool = true) -> [Float] {
        let n = base.count
        let deltas: [[Float]] = zip(models, weights).map { model, w in
            var d = (0..<n).map { model[$0] - base[$0] }
            if let density, density < 1 {
                let k = max(1, Int(density * Double(n)))
                let order = (0..<n).sorted { abs(d[$0]) != abs(d[$1]) ? abs(d[$0]) > abs(d[$1]) : $0 < $1 }
                var keep = [Bool](repeating: false, count: n)
                for i in order.prefix(k) { keep[i] = true }
                for i in 0..<n where !keep[i] { d[i] = 0 }
            }
            return d.map { $0 * w }
        }
        func sign(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
        return (0..<n).map { j in
            var mixed: Float = 0, divisor: Float = 0
            if let consensus {
                var total: Float = 0
                for d in deltas { total += consensus == .sum ? d[j] : sign(d[j]) }
                let majority: Float = total >= 0 ? 1 : -1
                for (d, w) in zip(deltas, weights) where sign(d[j]) == majority { mixed += d[j]; divisor += w }
                if divisor == 0 { divisor = 1 }
            } else {
                for d in deltas { mixed += d[j] }
                for w in weights { divisor += w }
                if abs(divisor) < 1e-8 { divisor = 1 }
            }
            return base[j] + (normalize ? mixed / divisor : mixed)
        }
    }

    static func data(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        let pool: [Float] = [0, -0.0, 0.25, -0.25, 0.5, -1, 1e-3, 2, -2, 0.125]
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return pool[Int((state >> 33) % UInt64(pool.count))]
        }
    }

    @Test(arguments: [("ties", 0.3), ("ties", 1.0), ("task_arithmetic", 1.0)], [1, 7, 16_385 + 7])
    func equalsReference(_ method: (String, Double), _ n: Int) throws {
        let base = Self.data(n, seed: 1)
        let models = (2...4).map { Self.data(n, seed: UInt64($0)) }
        let weights: [Float] = [1, -0.5, 2]
        let names = ["a", "b", "c"]
        var parameters: [String: ParameterValue] = [:]
        if method.0 == "ties" { parameters["density"] = .number(method.1) }
        let settings = try MergeSettings(method: method.0, baseModel: "base",
                                         models: zip(names, weights).map { ModelSettings(name: $0, parameters: ["weight": .number(Double($1))]) },
                                         parameters: parameters)
        let got = try mergeVector(settings, base: base, models: models)
        let expected = Self.reference(base: base, models: models, weights: weights,
                                      density: method.0 == "ties" ? method.1 : nil,
                                      consensus: method.0 == "ties" ? .sum : nil,
                                      normalize: method.0 == "ties")  // task_arithmetic does not normalize by default
        let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(got.count == n && differing == 0, "\(differing) of \(n) entries differ")
    }
}
