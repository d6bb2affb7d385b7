// Recipe validation (typed errors naming parameter and model) and mergekit's gradient interpolation.
import Testing
@testable import Merge

private func model(_ name: String, _ parameters: [String: ParameterValue] = [:]) -> ModelSettings {
    ModelSettings(name: name, parameters: parameters)
}

@Suite("parameters")
struct ParameterTests {
    @Test("unknown method lists the known ones")
    func unknownMethod() {
        #expect(throws: MergeError.unknownMethod(name: "tiess", known: MergeMethods.names)) {
            try MergeSettings(method: "tiess", baseModel: "b", models: [model("a", ["weight": 1])])
        }
    }

    @Test("unknown parameter, at the top level and for one model")
    func unknownParameter() throws {
        let known = TiesMerge.parameters.map(\.name)
        #expect(throws: MergeError.unknownParameter(method: "ties", parameter: "densty", model: nil, known: known)) {
            try MergeSettings(method: "ties", baseModel: "b", models: [model("a", ["weight": 1])], parameters: ["densty": 0.5])
        }
        #expect(throws: MergeError.unknownParameter(method: "ties", parameter: "gamma", model: "a", known: known)) {
            try MergeSettings(method: "ties", baseModel: "b", models: [model("a", ["weight": 1, "gamma": 0.1])])
        }
    }

    @Test("a whole-merge parameter given for one model is refused")
    func globalPerModel() {
        #expect(throws: MergeError.globalParameterGivenPerModel(method: "ties", parameter: "lambda", model: "a")) {
            try MergeSettings(method: "ties", baseModel: "b", models: [model("a", ["weight": 1, "lambda": 2])])
        }
    }

    @Test("missing required weight names the model; a top-level weight covers every model")
    func missingWeight() throws {
        #expect(throws: MergeError.missingParameter(method: "task_arithmetic", parameter: "weight", model: "c", tensor: nil)) {
            try MergeSettings(method: "task_arithmetic", baseModel: "b", models: [model("a", ["weight": 1]), model("c")])
        }
        _ = try MergeSettings(method: "task_arithmetic", baseModel: "b", models: [model("a"), model("c")], parameters: ["weight": 0.5])
        #expect(throws: MergeError.missingParameter(method: "slerp", parameter: "t", model: nil, tensor: nil)) {
            try MergeSettings(method: "slerp", baseModel: "b", models: [model("a")])
        }
    }

    @Test("a filter that matches no tensor leaves the parameter missing for that tensor")
    func filterMiss() throws {
        let settings = try MergeSettings(
            method: "ties", baseModel: "b",
            models: [model("a", ["weight": .conditional([ConditionalParameterValue(filter: "mlp", value: 1)])])])
        _ = try settings.resolve(tensor: "model.layers.0.mlp.up_proj.weight", at: .layer(0, of: 2))
        #expect(throws: MergeError.missingParameter(method: "ties", parameter: "weight", model: "a",
                                                    tensor: "model.layers.0.self_attn.q_proj.weight")) {
            try settings.resolve(tensor: "model.layers.0.self_attn.q_proj.weight", at: .layer(0, of: 2))
        }
    }

    @Test("weights: positive for linear, nonzero for task vectors (negation allowed)")
    func weights() throws {
        #expect(throws: MergeError.invalidParameter(method: "linear", parameter: "weight", model: "a", value: -1,
                                                    requirement: NumberConstraint.positive.requirement)) {
            try MergeSettings(method: "linear", baseModel: nil, models: [model("a", ["weight": -1]), model("b", ["weight": 1])])
        }
        #expect(throws: MergeError.invalidParameter(method: "ties", parameter: "weight", model: "a", value: 0,
                                                    requirement: NumberConstraint.nonZero.requirement)) {
            try MergeSettings(method: "ties", baseModel: "b", models: [model("a", ["weight": 0])])
        }
        _ = try MergeSettings(method: "task_arithmetic", baseModel: "b", models: [model("a", ["weight": -0.5])])
    }

    @Test("density must lie in (0, 1], at every anchor of a gradient", arguments: [0.0, -0.1, 1.5, .nan])
    func density(_ bad: Double) throws {
        do {
            _ = try MergeSettings(method: "dare_ties", baseModel: "b", models: [model("a", ["weight": 1])],
                                  parameters: ["density": .gradient([0.5, bad])])
            Issue.record("density \(bad) accepted")
        } catch let error as MergeError {
            guard case .invalidParameter(_, "density", nil, _, let requirement) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(requirement == "in (0, 1]")
            #expect(error.description.contains("density"))
        }
    }

    @Test("wrong types and empty lists")
    func types() {
        #expect(throws: MergeError.wrongParameterType(method: "ties", parameter: "normalize", model: nil, expected: "true or false")) {
            try MergeSettings(method: "ties", baseModel: "b", models: [model("a", ["weight": 1])], parameters: ["normalize": 1])
        }
        #expect(throws: MergeError.wrongParameterType(method: "ties", parameter: "weight", model: "a",
                                                      expected: "a number or a list of numbers")) {
            try MergeSettings(method: "ties", baseModel: "b", models: [model("a", ["weight": true])])
        }
        #expect(throws: MergeError.emptyGradient(method: "ties", parameter: "weight", model: "a")) {
            try MergeSettings(method: "ties", baseModel: "b", models: [model("a", ["weight": .gradient([])])])
        }
    }

    @Test("model counts, base and duplicates")
    func structure() throws {
        #expect(throws: MergeError.baseModelRequired(method: "ties")) {
            try MergeSettings(method: "ties", baseModel: nil, models: [model("a", ["weight": 1])])
        }
        #expect(throws: MergeError.wrongModelCount(method: "slerp", count: 2, allowed: 1...1)) {
            try MergeSettings(method: "slerp", baseModel: "b", models: [model("a"), model("c")], parameters: ["t": 0.5])
        }
        #expect(throws: MergeError.wrongModelCount(method: "model_stock", count: 1, allowed: 2...Int.max)) {
            try MergeSettings(method: "model_stock", baseModel: "b", models: [model("b"), model("a")])
        }
        #expect(throws: MergeError.duplicateModel(name: "a")) {
            try MergeSettings(method: "linear", baseModel: nil, models: [model("a", ["weight": 1]), model("a", ["weight": 2])])
        }
        // linear has no base: a named base becomes one more input, which then needs a weight like the others.
        #expect(throws: MergeError.missingParameter(method: "linear", parameter: "weight", model: "b", tensor: nil)) {
            try MergeSettings(method: "linear", baseModel: "b", models: [model("a", ["weight": 1])])
        }
        let linear = try MergeSettings(method: "linear", baseModel: "b", models: [model("a")], parameters: ["weight": 1])
        #expect(linear.models.map(\.name) == ["a", "b"] && linear.baseModel == nil)
        // Listing the base among the models (as mergekit's slerp configs do) does not make it a donor.
        let slerp = try MergeSettings(method: "slerp", baseModel: "b", models: [model("b"), model("a")], parameters: ["t": 0.5])
        #expect(slerp.models.map(\.name) == ["a"])
    }

    @Test("della: density ± epsilon must stay in (0, 1) where it sparsifies")
    func dellaEpsilon() throws {
        let settings = try MergeSettings(method: "della", baseModel: "b", models: [model("a", ["weight": 1, "epsilon": 0.5])],
                                         parameters: ["density": [1.0, 0.4]])
        // Layer 0 has density 1 (no sparsification), so any epsilon is fine there.
        _ = try settings.resolve(tensor: "model.layers.0.mlp.up_proj.weight", at: .layer(0, of: 2))
        #expect(throws: MergeError.self) {
            try settings.validate(tensors: ["model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight"], layerCount: 2)
        }
        do {
            try settings.validate(tensors: ["model.layers.1.mlp.up_proj.weight"], layerCount: 2)
        } catch let error as MergeError {
            guard case .invalidParameter("della", "epsilon", "a", 0.5, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
        }
    }

    @Test("defaults and precedence: model over top level over the method's default")
    func precedence() throws {
        let settings = try MergeSettings(method: "ties", baseModel: "b",
                                         models: [model("a", ["weight": 1, "density": 0.3]), model("c", ["weight": 2])],
                                         parameters: ["density": 0.7])
        let p = try settings.resolve(tensor: "model.norm.weight", at: .outsideLayers)
        #expect(try p.number("density", model: 0) == 0.3)
        #expect(try p.number("density", model: 1) == 0.7)
        #expect(try p.flag("normalize") == true)
        #expect(try p.flag("rescale") == false)
        #expect(try p.number("lambda") == 1)
        let dare = try MergeSettings(method: "dare_ties", baseModel: "b", models: [model("a", ["weight": 1])])
        let q = try dare.resolve(tensor: "x", at: .outsideLayers)
        #expect(try q.flag("normalize") == false)
        #expect(try q.flag("rescale") == true)
        #expect(try q.number("density", model: 0) == 1)
    }

    @Test("gradients interpolate like mergekit: t = layer / (layers − 1), t = 0 outside the blocks")
    func gradients() throws {
        #expect(ParameterValue.interpolate([0.2, 1.0], at: 0.5) == 0.6)
        #expect(ParameterValue.interpolate([1.0, 0.5, 0.1], at: 0.25) == 0.75)
        #expect(ParameterValue.interpolate([1.0, 0.5, 0.1], at: 1) == 0.1)
        #expect(ParameterValue.interpolate([3.0], at: 0.7) == 3.0)
        #expect(LayerPosition.layer(3, of: 7).t == 0.5)
        #expect(LayerPosition.layer(0, of: 1).t == 1)
        #expect(LayerPosition.of(tensor: "model.layers.12.mlp.up_proj.weight", layerCount: 25).t == 0.5)
        #expect(LayerPosition.of(tensor: "blk.24.attn_q.weight", layerCount: 25).t == 1)
        #expect(LayerPosition.of(tensor: "model.embed_tokens.weight", layerCount: 25) == .outsideLayers)
        let value: ParameterValue = [0.0, 0.5, 1.0]
        #expect(value.resolve(tensor: "model.norm.weight", at: .outsideLayers) == .number(0))
        #expect(value.resolve(tensor: "model.layers.1.x", at: .layer(1, of: 3)) == .number(0.5))
    }

    @Test("filters pick the first match; \"*\" and nil match everything")
    func filters() {
        let value = ParameterValue.conditional([
            ConditionalParameterValue(filter: "self_attn", value: [0.0, 1.0]),
            ConditionalParameterValue(filter: "mlp", value: 0.25),
            ConditionalParameterValue(filter: "*", value: 0.5),
        ])
        #expect(value.resolve(tensor: "model.layers.1.self_attn.q_proj.weight", at: .layer(1, of: 2)) == .number(1))
        #expect(value.resolve(tensor: "model.layers.1.mlp.up_proj.weight", at: .layer(1, of: 2)) == .number(0.25))
        #expect(value.resolve(tensor: "model.norm.weight", at: .outsideLayers) == .number(0.5))
    }

    @Test("error messages name the method, parameter and model and say what to do")
    func messages() {
        let missing = MergeError.missingParameter(method: "ties", parameter: "weight", model: "ft-b", tensor: nil)
        #expect(missing.description.contains("\"weight\"") && missing.description.contains("\"ft-b\"")
                && missing.description.contains("set it"))
        let shape = MergeError.shapeMismatch(model: "ft-b", tensor: "lm_head.weight", expected: [64, 32], got: [65, 32], reference: "base")
        #expect(shape.description.contains("[65, 32]") && shape.description.contains("[64, 32]")
                && shape.description.contains("\"ft-b\"") && shape.description.contains("\"base\""))
    }
}
