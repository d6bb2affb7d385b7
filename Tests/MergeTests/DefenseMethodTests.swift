// The defense methods by hand: the untrusted model keeps only the part of its task vector the donors support
// (projected_linear: their spans; agreed_linear: their signs).
import Testing
@testable import Merge

@Suite("defense methods")
struct DefenseMethodTests {
    /// 6×5 matrices; uᵢ, vᵢ are standard basis vectors scaled, so the spans are easy to reason about.
    static let rows = 6, columns = 5

    static func outer(_ u: [Float], _ v: [Float]) -> [Float] {
        var m = [Float](repeating: 0, count: u.count * v.count)
        for i in u.indices { for j in v.indices { m[i * v.count + j] = u[i] * v[j] } }
        return m
    }

    static func unit(_ i: Int, _ n: Int, scale: Float = 1) -> [Float] {
        var v = [Float](repeating: 0, count: n); v[i] = scale; return v
    }

    static func add(_ a: [Float], _ b: [Float], _ scale: Float = 1) -> [Float] { zip(a, b).map { $0 + scale * $1 } }

    static func settings(weights: [Double]) throws -> MergeSettings {
        try MergeSettings(method: "projected_linear", baseModel: "base",
                          models: weights.enumerated().map { ModelSettings(name: "m\($0.offset)", parameters: ["weight": .number($0.element)]) })
    }

    @Test("a suspect delta split into a supported and an unsupported part keeps exactly the supported part")
    func keepsSupportedPart() throws {
        let base = (0..<(Self.rows * Self.columns)).map { Float($0) * 0.01 }
        let d1 = Self.outer(Self.unit(0, Self.rows, scale: 0.5), Self.unit(1, Self.columns, scale: -0.3))
        let d2 = Self.outer(Self.add(Self.unit(1, Self.rows), Self.unit(2, Self.rows)), Self.unit(3, Self.columns, scale: 0.2))
        // Supported: column e0 (in d1's column space) times row e3 (in d2's row space). Unsupported: e5 × e4.
        let supported = Self.outer(Self.unit(0, Self.rows, scale: 0.7), Self.unit(3, Self.columns))
        let unsupported = Self.outer(Self.unit(5, Self.rows, scale: 2), Self.unit(4, Self.columns))
        let suspect = Self.add(supported, unsupported)
        let weights: [Double] = [2, 1, 1]
        let out = try mergeVector(try Self.settings(weights: weights), base: base,
                                  models: [Self.add(base, suspect), Self.add(base, d1), Self.add(base, d2)],
                                  shape: [Self.rows, Self.columns], suspect: 0)
        var expected = base
        for j in expected.indices { expected[j] += (2 * supported[j] + d1[j] + d2[j]) / 4 }
        #expect(maxAbsDiff(out, expected) < 1e-6)
    }

    @Test("inside the donors' spans it is linear; outside, the suspect adds nothing but its weight in the average")
    func extremes() throws {
        let base = [Float](repeating: 0.25, count: Self.rows * Self.columns)
        let d1 = Self.outer([1, 2, 0, 0, 0, -1], [0.5, 0, 1, 0, 0])
        let d2 = Self.outer([0, 0, 1, 1, 0, 0], [0, 1, 0, 0, -2])
        let inside = Self.add(Self.outer([1, 2, 0, 0, 0, -1], [0, 1, 0, 0, -2], ), d2, 3)
        let settings = try Self.settings(weights: [1, 1, 1])
        let models = { (s: [Float]) in [Self.add(base, s), Self.add(base, d1), Self.add(base, d2)] }
        let linear = try mergeVector(try MergeSettings(method: "linear", baseModel: nil, models: (0..<3).map {
            ModelSettings(name: "m\($0)", parameters: ["weight": 1]) }), base: nil, models: models(inside))
        let kept = try mergeVector(settings, base: base, models: models(inside), shape: [Self.rows, Self.columns], suspect: 0)
        #expect(maxAbsDiff(kept, linear) < 1e-6)

        let outside = Self.outer(Self.unit(4, Self.rows, scale: 5), Self.unit(3, Self.columns))
        let cut = try mergeVector(settings, base: base, models: models(outside), shape: [Self.rows, Self.columns], suspect: 0)
        let donorsOnly = zip(base, Self.add(d1, d2)).map { $0 + $1 / 3 }
        #expect(maxAbsDiff(cut, donorsOnly) < 1e-6)
    }

    @Test("a 1-D tensor is one row: the suspect keeps its component along the donors' deltas")
    func vectors() throws {
        let base: [Float] = [1, 1, 1, 1]
        let d1: [Float] = [0.2, 0, 0, 0], d2: [Float] = [0, 0.1, 0.1, 0]
        let suspect: [Float] = [0.4, 0.3, -0.1, 0.9]  // along d1: 0.4·e0; along d2: (0.3 − 0.1)/2 per entry
        let out = try mergeVector(try Self.settings(weights: [1, 1, 1]), base: base,
                                  models: [Self.add(base, suspect), Self.add(base, d1), Self.add(base, d2)], suspect: 0)
        let kept: [Float] = [0.4, 0.1, 0.1, 0]
        #expect(maxAbsDiff(out, zip(base, Self.add(Self.add(kept, d1), d2)).map { $0 + $1 / 3 }) < 1e-6)
    }

    @Test("agreed_linear keeps the untrusted entries whose sign the donors' sum shares, drops the rest")
    func agreedBySign() throws {
        let base: [Float] = [0, 0, 0, 0, 1]
        let d1: [Float] = [0.2, -0.1, 0, 0.3, 0], d2: [Float] = [0.1, 0.3, 0, -0.4, 0]  // sum: +, +, 0, −, 0
        let suspect: [Float] = [0.5, -0.6, 0.7, -0.2, 0.9]
        let settings = try MergeSettings(method: "agreed_linear", baseModel: "base",
                                         models: (0..<3).map { ModelSettings(name: "m\($0)", parameters: ["weight": 1]) })
        let out = try mergeVector(settings, base: base,
                                  models: [Self.add(base, suspect), Self.add(base, d1), Self.add(base, d2)], suspect: 0)
        let kept: [Float] = [0.5, 0, 0, -0.2, 0]
        #expect(maxAbsDiff(out, zip(base, Self.add(Self.add(kept, d1), d2)).map { $0 + $1 / 3 }) < 1e-6)
    }

    @Test("refuses a merge without an untrusted model, naming the method")
    func needsSuspect() throws {
        #expect(throws: MergeError.suspectRequired(method: "projected_linear")) {
            _ = try mergeVector(try Self.settings(weights: [1, 1]), base: [0, 0], models: [[1, 0], [0, 1]])
        }
        #expect(MergeError.suspectRequired(method: "projected_linear").description.contains("no untrusted model"))
    }
}
