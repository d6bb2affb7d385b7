// Small hand-worked merges, the registry, homogeneity and input checks.
import Testing
import Inference
@testable import Merge

@Suite("methods")
struct MethodTests {
    @Test("the registry serves mergekit's names, each declaring unique parameters and a reference")
    func registry() throws {
        #expect(MergeMethods.names == ["linear", "task_arithmetic", "ties", "dare_linear", "dare_ties", "breadcrumbs",
                                       "breadcrumbs_ties", "della", "della_linear", "model_stock", "slerp", "projected_linear", "agreed_linear"])
        for method in MergeMethods.all {
            let names = method.parameters.map(\.name)
            #expect(Set(names).count == names.count, "\(method.name)")
            #expect(method.referenceURL.hasPrefix("https://"))
            #expect(try MergeMethods.named(method.name).name == method.name)
        }
        #expect(BreadcrumbsMerge.parameters.contains { $0.name == "gamma" && $0.defaultValue == .number(0.01) })
        #expect(DellaMerge.parameters.contains { $0.name == "epsilon" && $0.defaultValue == .number(0.15) })
        #expect(!TiesMerge.parameters.contains { $0.name == "gamma" || $0.name == "epsilon" })
    }

    @Test("TIES by hand: top-k per model, sign election by sum, mean over the agreeing")
    func tiesByHand() throws {
        let base: [Float] = [0, 0, 0, 0]
        let a: [Float] = [0.4, -0.1, 0.3, 0.05]
        let b: [Float] = [-0.15, 0.2, 0.1, -0.5]
        let settings = try MergeSettings(method: "ties", baseModel: "base",
                                         models: [ModelSettings(name: "a", parameters: ["weight": 1]),
                                                  ModelSettings(name: "b", parameters: ["weight": 1])],
                                         parameters: ["density": 0.5])
        // Top 2 of a: 0.4, 0.3; of b: -0.5, 0.2. Sums: 0.4, 0.2, 0.3, -0.5, all single-signed after trimming.
        let merged = try mergeVector(settings, base: base, models: [a, b])
        #expect(merged == [0.4, 0.2, 0.3, -0.5])
        let full = try MergeSettings(method: "ties", baseModel: "base",
                                     models: [ModelSettings(name: "a", parameters: ["weight": 1]),
                                              ModelSettings(name: "b", parameters: ["weight": 3])])
        // Untrimmed, weighted: 3·b = [−0.45, 0.6, 0.3, −1.5]; sums [−0.05, 0.5, 0.6, −1.45]. Element 0 elects −
        // although a's 0.4 is the largest single delta: only b agrees, so the mean over weights is −0.45 / 3.
        let out = try mergeVector(full, base: base, models: [a, b])
        #expect(maxAbsDiff(out, [-0.15, 0.2, 0.15, -0.5]) < 1e-6)
    }

    @Test("linear without normalization is the plain weighted sum")
    func linearUnnormalized() throws {
        let settings = try MergeSettings(method: "linear", baseModel: nil,
                                         models: [ModelSettings(name: "a", parameters: ["weight": 0.7]),
                                                  ModelSettings(name: "b", parameters: ["weight": 0.6])],
                                         parameters: ["normalize": false])
        let out = try mergeVector(settings, base: nil, models: [[1, 2], [10, -1]])
        #expect(abs(out[0] - 6.7) < 1e-6 && abs(out[1] - 0.8) < 1e-6)
    }

    @Test("breadcrumbs keeps the band between the top gamma and the bottom")
    func breadcrumbsBand() throws {
        let base = [Float](repeating: 0, count: 10)
        let delta: [Float] = (1...10).map { Float($0) * 0.01 }
        let settings = try MergeSettings(method: "breadcrumbs", baseModel: "base",
                                         models: [ModelSettings(name: "a", parameters: ["weight": 1])],
                                         parameters: ["density": 0.5, "gamma": 0.2])
        let out = try mergeVector(settings, base: base, models: [delta])
        // n_top = 2, target = 5, n_bot = 3: keep ranks 4...8, i.e. 0.04...0.08.
        #expect(maxAbsDiff(out, [0, 0, 0, 0.04, 0.05, 0.06, 0.07, 0.08, 0, 0]) < 1e-7)
        #expect(out.filter { $0 != 0 }.count == 5)
    }

    @Test("slerp at t = 0 and t = 1 returns its endpoints; colinear inputs interpolate linearly")
    func slerpEnds() throws {
        let a: [Float] = [1, 0, 0.5], b: [Float] = [0, 1, -0.5]
        for (t, expected) in [(0.0, a), (1.0, b)] {
            let s = try MergeSettings(method: "slerp", baseModel: "a", models: [ModelSettings(name: "b")],
                                      parameters: ["t": .number(t)])
            let out = try mergeVector(s, base: a, models: [b])
            #expect(maxAbsDiff(out, expected) < 1e-6)
        }
        let s = try MergeSettings(method: "slerp", baseModel: "a", models: [ModelSettings(name: "b")], parameters: ["t": 0.25])
        let out = try mergeVector(s, base: [1, 2, 3], models: [[2, 4, 6]])
        #expect(maxAbsDiff(out, [1.25, 2.5, 3.75]) < 1e-6)
    }

    @Test("input buffers must hold the shape's element count")
    func inputSizes() throws {
        let short: [Float] = [1, 2, 3]
        #expect(throws: MergeError.inputSizeMismatch(tensor: "w", model: "ft", expected: 4, got: 3)) {
            try short.withUnsafeBufferPointer {
                _ = try TensorMergeInputs(name: "w", shape: [2, 2], base: nil, models: [$0], modelNames: ["ft"])
            }
        }
    }
}

@Suite("homogeneity")
struct HomogeneityTests {
    let base = ModelTensorShapes(model: "base", shapes: ["embed": [64, 32], "norm": [32]])

    @Test("identical inventories pass")
    func same() throws {
        try TensorHomogeneity.check([base, ModelTensorShapes(model: "ft", shapes: base.shapes)])
        try TensorHomogeneity.check([])
    }

    @Test("a shape mismatch names the model, the tensor and both shapes")
    func mismatch() {
        let ft = ModelTensorShapes(model: "ft", shapes: ["embed": [65, 32], "norm": [32]])
        #expect(throws: MergeError.shapeMismatch(model: "ft", tensor: "embed", expected: [64, 32], got: [65, 32], reference: "base")) {
            try TensorHomogeneity.check([base, ModelTensorShapes(model: "ok", shapes: base.shapes), ft])
        }
    }

    @Test("a tensor missing on either side is an error, never a silently dropped donor")
    func missing() {
        #expect(throws: MergeError.missingTensor(model: "ft", tensor: "norm", presentIn: "base")) {
            try TensorHomogeneity.check([base, ModelTensorShapes(model: "ft", shapes: ["embed": [64, 32]])])
        }
        var extra = base.shapes
        extra["lm_head"] = [64, 32]
        #expect(throws: MergeError.missingTensor(model: "base", tensor: "lm_head", presentIn: "ft")) {
            try TensorHomogeneity.check([base, ModelTensorShapes(model: "ft", shapes: extra)])
        }
    }
}

/// A checkpoint with shapes only, standing in for a GGUF or safetensors reader.
private struct ShapesOnlySource: TensorSource {
    let shapes: [String: [Int]]
    var sourcePath: String { "memory" }
    var tensorNames: [String] { Array(shapes.keys) }
    func shape(of name: String) -> [Int]? { shapes[name] }
    func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        throw TensorSourceError.missingTensor(file: sourcePath, tensor: name)
    }
}

@Suite("homogeneity from checkpoints")
struct HomogeneitySourceTests {
    @Test("shapes come from a TensorSource's header without reading data")
    func fromSource() throws {
        let shapes = ["model.norm.weight": [32], "model.embed_tokens.weight": [64, 32]]
        let inventory = ModelTensorShapes(model: "ft", source: ShapesOnlySource(shapes: shapes))
        #expect(inventory.shapes == shapes)
        try TensorHomogeneity.check([ModelTensorShapes(model: "base", shapes: shapes), inventory])
    }
}
