// The streaming engine on tiny models: mixed inputs (GGUF base, HF fine-tune, LoRA adapter) against sums by hand.
import Foundation
import Testing
import Inference
import Quant
@testable import Merge

@Suite struct MergeEngineTests {
    static let tolerance: Float = 1e-6

    let dir: URL
    let base = TinyModel(seed: 11)

    init() throws { dir = try MergeLoadFixtures.temporaryDirectory() }

    func maxDifference(_ a: UnsafeBufferPointer<Float>, _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Linear of a full HF fine-tune and an adapter over a GGUF base: each tensor is (θ_ft + base + δ) / 2.
    @Test func linearOfCheckpointAndAdapterOverGGUFBase() throws {
        let basePath = try base.writeGGUF(to: dir.appendingPathComponent("base.gguf"))
        let fineTune = base.fineTune(seed: 12)
        let ftPath = try fineTune.writeHF(to: dir.appendingPathComponent("ft"))
        var adapter = TinyAdapter()
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 8, r: 2, seed: 13)
        adapter.add("model.layers.1.self_attn.k_proj", out: 4, in: 8, r: 2, seed: 14)
        adapter.add("model.layers.1.mlp.down_proj", out: 8, in: 16, r: 2, seed: 15)
        let adapterPath = try adapter.write(to: dir.appendingPathComponent("adapter"))

        let engine = try MergeEngine(plan: MergePlan(base: basePath, donors: [PlannedModel(path: ftPath)],
                                                     untrusted: PlannedModel(path: adapterPath), method: "linear"))
        for tensor in engine.tensors {
            let module = String(tensor.name.dropLast(".weight".count))
            let b = base.tensors[tensor.name]!
            let theta = adapter.factors[module] == nil ? b : zip(b, adapter.delta(module, scale: 2)).map { $0 + $1 }
            let expected = zip(theta, fineTune.tensors[tensor.name]!).map { ($0 + $1) / 2 }
            let merged = try engine.mergeTensor(tensor.name)
            #expect(maxDifference(merged.readOnly, expected) <= Self.tolerance, "\(tensor.name)")
        }
    }

    /// rank_pattern / alpha_pattern with PEFT's key match, and rsLoRA's alpha/√r.
    @Test func adapterScalesFollowPatterns() throws {
        let basePath = try base.writeHF(to: dir.appendingPathComponent("base"))
        var adapter = TinyAdapter()
        adapter.config["r"] = 2
        adapter.config["lora_alpha"] = 4
        adapter.config["rank_pattern"] = ["q_proj": 3]
        adapter.config["alpha_pattern"] = ["layers.1.mlp.down_proj": 6]
        adapter.config["use_rslora"] = true
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 8, r: 3, seed: 21)
        adapter.add("model.layers.0.mlp.down_proj", out: 8, in: 16, r: 2, seed: 22)
        adapter.add("model.layers.1.mlp.down_proj", out: 8, in: 16, r: 2, seed: 23)
        let input = try LoRAAdapterInput(folder: try adapter.write(to: dir.appendingPathComponent("patterned")))
        let expectedScales: [String: Float] = [
            "model.layers.0.self_attn.q_proj": 4 / Float(3).squareRoot(),
            "model.layers.0.mlp.down_proj": 4 / Float(2).squareRoot(),
            "model.layers.1.mlp.down_proj": 6 / Float(2).squareRoot(),
        ]
        for (module, scale) in expectedScales {
            let shape = input.tensorShapes[module + ".weight"]!
            let out = AlignedBuffer<Float>(count: shape.reduce(1, *))
            #expect(try input.read(module + ".weight", into: out.buffer) == .delta)
            #expect(maxDifference(out.readOnly, adapter.delta(module, scale: scale)) <= 1e-5, "\(module)")
        }
        let untouched = AlignedBuffer<Float>(count: 64)
        #expect(try input.read("model.layers.0.self_attn.o_proj.weight", into: untouched.buffer) == .unchanged)
        _ = basePath
    }

    /// The engine skips an adapter's read (and its scratch) where `contributes(to:)` is false, so it must be false
    /// exactly where the read would write nothing.
    @Test func adapterContributesExactlyWhereItWrites() throws {
        var adapter = TinyAdapter()
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 8, r: 2, seed: 41)
        adapter.add("model.layers.1.mlp.down_proj", out: 8, in: 16, r: 2, seed: 42)
        let input = try LoRAAdapterInput(folder: try adapter.write(to: dir.appendingPathComponent("contributes")))
        var contributing: [String] = []
        for (name, values) in base.tensors.sorted(by: { $0.key < $1.key }) {
            let out = AlignedBuffer<Float>(count: values.count)
            let wrote = try input.read(name, into: out.buffer) != .unchanged
            #expect(input.contributes(to: name) == wrote, "\(name)")
            if wrote { contributing.append(name) }
        }
        #expect(contributing == ["model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight"])
    }

    /// Prefetching on two threads gives exactly what merging one tensor at a time gives, and reports progress.
    @Test func streamingMatchesSequentialAndReportsProgress() throws {
        let basePath = try base.writeHF(to: dir.appendingPathComponent("base"))
        let donors = try (0..<3).map { try base.fineTune(seed: 30 + UInt64($0)).writeHF(to: dir.appendingPathComponent("d\($0)")) }
        let plan = MergePlan(base: basePath, donors: donors.map { PlannedModel(path: $0) }, untrusted: nil, method: "ties",
                             parameters: ["density": 0.5], seed: 7)
        let engine = try MergeEngine(plan: plan)
        let seen = Counter()
        let weights = try engine.loadWeights(parallelism: 2) { seen.record($0) }
        #expect(seen.count == engine.tensors.count)
        #expect(seen.last?.bytesDone == engine.totalBytes)
        let sequential = try engine.mergeTensor("model.layers.1.self_attn.q_proj.weight")
        let streamed = (weights.layers[1].query as! F32Linear).weight
        #expect(Array(sequential.readOnly) == Array(streamed.readOnly))
        let norm = try engine.mergeTensor("model.norm.weight")
        #expect(Array(norm.readOnly) == Array(weights.outputNorm.readOnly))

        var exported: [String] = []
        try engine.mergedTensors(parallelism: 2) { tensor, values in
            exported.append(tensor.name)
            #expect(values.count == tensor.elementCount)
        }
        #expect(exported == engine.tensors.map(\.name))
    }

    /// Some exporters store lm_head even for tied models; the tie wins, so such a donor still fits a tied base.
    @Test func tiedDonorWithStoredHead() throws {
        let basePath = try base.writeGGUF(to: dir.appendingPathComponent("base.gguf"))
        var donor = base.fineTune(seed: 45)
        donor.tensors["lm_head.weight"] = donor.tensors["model.embed_tokens.weight"]
        donor.shapes["lm_head.weight"] = [12, 8]
        let path = try donor.writeHF(to: dir.appendingPathComponent("tied"))
        let engine = try MergeEngine(plan: MergePlan(base: basePath, donors: [PlannedModel(path: path)], untrusted: nil))
        #expect(!engine.tensors.contains { $0.name == "lm_head.weight" })
    }

    @Test func weightsReachTheMethod() throws {
        let basePath = try base.writeHF(to: dir.appendingPathComponent("base"))
        let a = base.fineTune(seed: 40), b = base.fineTune(seed: 41)
        let pa = try a.writeHF(to: dir.appendingPathComponent("a")), pb = try b.writeHF(to: dir.appendingPathComponent("b"))
        let engine = try MergeEngine(plan: MergePlan(base: basePath, donors: [PlannedModel(path: pb, weight: 1)],
                                                     untrusted: PlannedModel(path: pa, weight: 3), method: "linear"))
        let name = "model.layers.0.mlp.up_proj.weight"
        let expected = zip(a.tensors[name]!, b.tensors[name]!).map { ($0 * 3 + $1) / 4 }
        let merged = try engine.mergeTensor(name)
        #expect(maxDifference(merged.readOnly, expected) <= Self.tolerance, "\(Array(merged.readOnly.prefix(3))) vs \(expected.prefix(3))")
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var events: [MergeProgress] = []
    func record(_ p: MergeProgress) { lock.lock(); events.append(p); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return events.count }
    var last: MergeProgress? { lock.lock(); defer { lock.unlock() }; return events.last }
}

/// TIES keeps the top-k magnitudes by selection; it must keep exactly what a stable sort's prefix keeps.
@Suite struct TopKSelectionTests {
    @Test(arguments: [1, 2, 3, 7, 31, 33, 1000])
    func kthLargestMagnitudeMatchesSort(_ n: Int) {
        var state: UInt64 = UInt64(n) &* 0x9E3779B97F4A7C15
        // Few distinct values of both signs, zeros and tiny numbers, so ties at the threshold are common.
        let pool: [Float] = [0, -0.0, 1e-30, -1e-30, 0.25, -0.25, 3, -7.5, 1e20, .leastNonzeroMagnitude]
        let values = (0..<n).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return pool[Int((state >> 33) % UInt64(pool.count))]
        }
        let sorted = values.map { abs($0) }.sorted(by: >)
        for k in Set([0, n / 3, n / 2, n - 1]) {
            let got = values.withUnsafeBufferPointer { Sparsifier.kthLargestMagnitude($0, k) }
            #expect(got == sorted[k], "n \(n) k \(k)")
        }
    }
}
