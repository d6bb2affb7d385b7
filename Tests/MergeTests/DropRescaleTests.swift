// DARE and DELLA drop at random: their masks can't match torch's, so check keep rates and mergekit's L1 rescale.
import Foundation
import Testing
@testable import Merge

/// How many standard errors a keep rate may stray from its expectation before we call it wrong (~1 in 15,000).
let keepRateSigmas = 4.0

/// Absolute error allowed in a rescaled delta read back as merged − base (a few float32 ulps of values near 1).
let rescaleTolerance: Float = 1e-6

/// The kept share of a task vector's nonzero entries, and the factor the kept entries were scaled by
/// (nil when the factor is not one constant, i.e. the output is not a rescaled mask of the delta).
struct DropSummary {
    var nonzero = 0
    var kept = 0
    var l1Before: Double = 0
    var l1After: Double = 0
    /// L1 of the original delta over the entries that were kept.
    var keptL1: Double = 0
    /// (delta, merged − base) of every kept entry.
    var keptPairs: [(delta: Float, out: Float)] = []

    mutating func add(delta: [Float], merged: [Float], base: [Float]) {
        for i in delta.indices where delta[i] != 0 {
            nonzero += 1
            let out = merged[i] - base[i]
            l1Before += Double(abs(delta[i]))
            l1After += Double(abs(out))
            if out != 0 {
                kept += 1
                keptL1 += Double(abs(delta[i]))
                keptPairs.append((delta[i], out))
            }
        }
    }

    var keepRate: Double { Double(kept) / Double(nonzero) }

    func keepRateIsNear(_ density: Double) -> Bool {
        let standardError = (density * (1 - density) / Double(nonzero)).squareRoot()
        return abs(keepRate - density) <= keepRateSigmas * standardError
    }

    /// The factor every kept entry was scaled by, if there is one: merged − base carries the float32 rounding of
    /// weights near 1, so entries are compared in absolute terms (`rescaleTolerance`), not as ratios.
    var commonScale: Double? {
        guard keptL1 > 0 else { return nil }
        let scale = l1After / keptL1
        let consistent = keptPairs.allSatisfy { abs(Double($0.out) - scale * Double($0.delta)) <= Double(rescaleTolerance) }
        return consistent ? scale : nil
    }
}

@Suite("random drop and rescale")
struct DropRescaleTests {
    /// dare_linear/della_linear with one model of weight 1: merged − base is exactly the sparsified delta.
    func summaries(case caseName: String, seed: UInt64) throws -> (ours: [DropSummary], mergekit: [DropSummary]) {
        let fixture = try MergeFixture.load()
        let golden = try #require(fixture.manifest.cases[caseName])
        let settings = try fixture.settings(for: golden.config)
        let expected = try MergeFixture.readFloats(golden.output)
        var ours: [DropSummary] = [], theirs: [DropSummary] = []
        for entry in fixture.manifest.tensors {
            let base = fixture.tensor("base", entry)
            let model = fixture.tensor(settings.models[0].name, entry)
            let delta = zip(model, base).map { $0 - $1 }
            var a = DropSummary(), b = DropSummary()
            a.add(delta: delta, merged: try fixture.merge(settings, entry, seed: seed), base: base)
            b.add(delta: delta, merged: MergeFixture.slice(expected, entry), base: base)
            ours.append(a)
            theirs.append(b)
        }
        return (ours, theirs)
    }

    @Test("mergekit rescales DARE and DELLA by the L1 norm ratio, not 1/density, and so do we",
          arguments: ["dare_linear_d05", "della_linear_d05"])
    func l1Rescale(_ caseName: String) throws {
        let (ours, mergekit) = try summaries(case: caseName, seed: 7)
        for (label, summaries) in [("ours", ours), ("mergekit", mergekit)] {
            for s in summaries where s.nonzero >= 32 {
                let common = s.commonScale
                try #require(common != nil, "\(label): kept entries are not one rescaled mask of the delta")
                let scale = common!
                #expect(abs(scale - s.l1Before / s.keptL1) <= 1e-4 * scale, "\(label): scale \(scale)")
                #expect(abs(s.l1After - s.l1Before) <= 1e-5 * s.l1Before, "\(label): L1 norm not preserved")
            }
        }
        // 1/density would be 2 everywhere; the L1 ratio is not.
        let notInverseDensity = mergekit.contains { abs(($0.commonScale ?? 2) - 2) > 0.05 }
        #expect(notInverseDensity)
    }

    @Test("keep rate matches density over the whole model", arguments: ["dare_linear_d05", "della_linear_d05"])
    func keepRate(_ caseName: String) throws {
        let (ours, mergekit) = try summaries(case: caseName, seed: 11)
        for (label, summaries) in [("ours", ours), ("mergekit", mergekit)] {
            var total = DropSummary()
            for s in summaries { total.nonzero += s.nonzero; total.kept += s.kept }
            #expect(total.keepRateIsNear(0.5), "\(label) keeps \(total.keepRate) of \(total.nonzero)")
        }
    }

    @Test("DARE on a large synthetic vector: keep rate and L1 norm", arguments: [0.1, 0.3, 0.9])
    func dareSynthetic(_ density: Double) throws {
        let n = 50_000
        var rng = MergeRandom(seed: 3)
        let base = (0..<n).map { _ in rng.nextUnitFloat() - 0.5 }
        let model = base.map { $0 + (rng.nextUnitFloat() - 0.5) * 0.01 }
        let settings = try MergeSettings(method: "dare_linear", baseModel: "base",
                                         models: [ModelSettings(name: "m", parameters: ["weight": 1.0])],
                                         parameters: ["density": .number(density)])
        let merged = try mergeVector(settings, base: base, models: [model])
        var s = DropSummary()
        s.add(delta: zip(model, base).map { $0 - $1 }, merged: merged, base: base)
        #expect(s.keepRateIsNear(density), "keeps \(s.keepRate), density \(density)")
        let uniformlyScaled = s.commonScale != nil
        #expect(uniformlyScaled)
        #expect(abs(s.l1After - s.l1Before) <= 1e-4 * s.l1Before)
    }

    @Test("DELLA keeps large magnitudes more often than small ones, density ± epsilon at the ends")
    func dellaRanking() throws {
        let n = 20_000
        // Magnitude grows with the index, so rank = index within the single row.
        let base = [Float](repeating: 0, count: n)
        let model = (0..<n).map { Float($0 + 1) * 1e-4 }
        let settings = try MergeSettings(method: "della_linear", baseModel: "base",
                                         models: [ModelSettings(name: "m", parameters: ["weight": 1.0])],
                                         parameters: ["density": 0.5, "epsilon": 0.3, "rescale": false])
        let merged = try mergeVector(settings, base: base, models: [model])
        let tenth = n / 10
        let lowRate = Double(merged[0..<tenth].filter { $0 != 0 }.count) / Double(tenth)
        let highRate = Double(merged[(n - tenth)...].filter { $0 != 0 }.count) / Double(tenth)
        // Expected keep rates of the bottom and top tenths: 0.2 + 0.6·0.05 = 0.23 and 0.8 − 0.03 = 0.77.
        let se = (0.25 / Double(tenth)).squareRoot()
        #expect(abs(lowRate - 0.23) <= keepRateSigmas * se, "bottom tenth keeps \(lowRate)")
        #expect(abs(highRate - 0.77) <= keepRateSigmas * se, "top tenth keeps \(highRate)")
        #expect(zip(model, merged).allSatisfy { $1 == 0 || $1 == $0 }, "rescale off must leave kept entries as they are")
    }

    @Test("masks are reproducible from the seed and differ between seeds and tensors")
    func reproducible() throws {
        let n = 4_096
        let base = [Float](repeating: 1, count: n)
        var models: [[Float]] = []
        for m in 0..<3 {
            models.append((0..<n).map { (i: Int) -> Float in 1 + Float((i * 7 + m * 13) % 17 - 8) * 1e-3 })
        }
        let settings = try MergeSettings(method: "dare_ties", baseModel: "base",
                                         models: (0..<3).map { ModelSettings(name: "m\($0)", parameters: ["weight": 1.0]) },
                                         parameters: ["density": 0.4])
        let a = try mergeVector(settings, base: base, models: models, seed: 5)
        let b = try mergeVector(settings, base: base, models: models, seed: 5)
        let c = try mergeVector(settings, base: base, models: models, seed: 6)
        let d = try mergeVector(settings, base: base, models: models, seed: 5, name: "other.weight")
        #expect(a == b)
        #expect(a != c)
        #expect(a != d)
    }

    @Test("the generator is uniform enough: mean and bucket counts of 100,000 draws")
    func uniform() {
        var rng = MergeRandom(seed: 42, stream: "x")
        var buckets = [Int](repeating: 0, count: 10)
        var sum = 0.0
        let n = 100_000
        for _ in 0..<n {
            let u = rng.nextUnitFloat()
            #expect(u >= 0 && u < 1)
            buckets[Int(u * 10)] += 1
            sum += Double(u)
        }
        #expect(abs(sum / Double(n) - 0.5) < 4 * (1.0 / 12 / Double(n)).squareRoot())
        let se = (Double(n) * 0.1 * 0.9).squareRoot()
        #expect(buckets.allSatisfy { abs(Double($0) - Double(n) / 10) < 5 * se }, "\(buckets)")
    }
}

/// Merges one 1-D tensor named `name` held in plain arrays.
func mergeVector(_ settings: MergeSettings, base: [Float]?, models: [[Float]], seed: UInt64 = 0,
                 name: String = "model.layers.0.mlp.up_proj.weight", layerCount: Int = 2, shape: [Int]? = nil,
                 suspect: Int? = nil) throws -> [Float] {
    let count = models.first?.count ?? base?.count ?? 0
    var output = [Float](repeating: .nan, count: count)
    try withBuffers(models) { buffers in
        try withOptionalBuffer(base) { baseBuffer in
            let inputs = try TensorMergeInputs(name: name, shape: shape ?? [count], base: baseBuffer, models: buffers,
                                               suspect: suspect)
            try output.withUnsafeMutableBufferPointer {
                try settings.mergeTensor(inputs, position: .of(tensor: name, layerCount: layerCount), seed: seed, into: $0)
            }
        }
    }
    return output
}

@Suite("dare_ties at density < 1")
struct DareTiesDropTests {
    @Test("one donor: the sign election agrees with itself, so dare_ties drops and rescales like dare_linear")
    func singleDonor() throws {
        let n = 40_000
        var rng = MergeRandom(seed: 9)
        let base = (0..<n).map { _ in rng.nextUnitFloat() }
        let model = base.map { $0 + (rng.nextUnitFloat() - 0.5) * 0.02 }
        let settings = try MergeSettings(method: "dare_ties", baseModel: "base",
                                         models: [ModelSettings(name: "m", parameters: ["weight": 1.0])],
                                         parameters: ["density": 0.25])
        var s = DropSummary()
        s.add(delta: zip(model, base).map { $0 - $1 }, merged: try mergeVector(settings, base: base, models: [model]), base: base)
        #expect(s.keepRateIsNear(0.25), "keeps \(s.keepRate)")
        let uniformlyScaled = s.commonScale != nil
        #expect(uniformlyScaled)
        #expect(abs(s.l1After - s.l1Before) <= 1e-4 * s.l1Before)
    }
}
