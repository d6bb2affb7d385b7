// Every input the merge-on-load engine must refuse, refused before heavy work with a message naming what is wrong.
import Foundation
import Testing
import Inference
@testable import Merge

@Suite struct MergeLoadRefusalTests {
    let dir: URL
    let base: TinyModel
    let basePath: String

    init() throws {
        dir = try MergeLoadFixtures.temporaryDirectory()
        base = TinyModel(seed: 1)
        basePath = try base.writeHF(to: dir.appendingPathComponent("base"))
    }

    func plan(_ donors: [String], untrusted: String? = nil, method: String = "linear") -> MergePlan {
        MergePlan(base: basePath, donors: donors.map { PlannedModel(path: $0) }, untrusted: untrusted.map { PlannedModel(path: $0) },
                  method: method)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func tensorShapeMismatch() throws {
        var odd = base.fineTune(seed: 2)
        odd.shapes["model.layers.1.mlp.up_proj.weight"] = [8, 16]   // same count, wrong shape
        let oddPath = try odd.writeHF(to: dir.appendingPathComponent("odd"))
        let good = try base.fineTune(seed: 3).writeHF(to: dir.appendingPathComponent("good"))
        #expect(throws: MergeError.shapeMismatch(model: oddPath, tensor: "model.layers.1.mlp.up_proj.weight",
                                                 expected: [16, 8], got: [8, 16], reference: basePath)) {
            _ = try MergeEngine(plan: plan([good, oddPath]))
        }
        let text = message { _ = try MergeEngine(plan: plan([good, oddPath])) }
        #expect(text.contains(oddPath) && text.contains("[8, 16]") && text.contains("[16, 8]") && text.contains("up_proj"))
    }

    @Test func vocabularyMismatch() throws {
        var bigger = base.fineTune(seed: 2)
        bigger.shapes["model.embed_tokens.weight"] = [13, 8]
        bigger.tensors["model.embed_tokens.weight"]! += [Float](repeating: 0, count: 8)
        let path = try bigger.writeHF(to: dir.appendingPathComponent("bigger"), configChanges: ["vocab_size": 13])
        #expect(throws: MergeInputError.vocabularyMismatch(model: path, expected: 12, got: 13, reference: basePath,
                                                           what: "the embedding table (vocab_size)")) {
            _ = try MergeEngine(plan: plan([path]))
        }
    }

    @Test func tokenizerVocabularyMismatch() throws {
        let ggufBase = try base.writeGGUF(to: dir.appendingPathComponent("base.gguf"))
        let donor = base.fineTune(seed: 5)
        // Same embedding size, but the GGUF donor's tokenizer lists 11 tokens.
        let donorPath = dir.appendingPathComponent("donor.gguf")
        try donor.writeGGUF(to: donorPath)
        let gguf = try GGUFFile(path: donorPath.path)
        var writer = GGUFWriter()
        for key in gguf.metadataKeys {
            let value = key == "tokenizer.ggml.tokens" ? .array((0..<11).map { .string("t\($0)") }) : gguf.metadata[key]!
            try writer.setMetadata(key, value)
        }
        try writer.setMetadata("llama.vocab_size", .uint32(12))
        for t in gguf.tensors { try writer.addTensor(t.name, shape: t.shape, type: t.type, bytes: try gguf.rawData(t.name).bytes) }
        try writer.write(to: donorPath.path)
        #expect(throws: MergeInputError.vocabularyMismatch(model: donorPath.path, expected: 12, got: 11, reference: ggufBase,
                                                           what: "the tokenizer")) {
            _ = try MergeEngine(plan: MergePlan(base: ggufBase, donors: [PlannedModel(path: donorPath.path)], untrusted: nil))
        }
    }

    @Test func configMismatch() throws {
        let path = try base.fineTune(seed: 2).writeHF(to: dir.appendingPathComponent("theta"), configChanges: ["rope_theta": 500_000.0])
        #expect(throws: MergeInputError.configMismatch(model: path, field: "rope_theta", expected: "10000.0", got: "500000.0",
                                                       reference: basePath)) {
            _ = try MergeEngine(plan: plan([path]))
        }
    }

    @Test func adapterForAnotherBase() throws {
        var adapter = TinyAdapter()
        adapter.config["base_model_name_or_path"] = "someone/other-model-1B"
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 9, r: 2, seed: 4)
        let path = try adapter.write(to: dir.appendingPathComponent("wrong-base"))
        let expected = MergeInputError.adapterDoesNotFitBase(
            adapter: path, tensor: "model.layers.0.self_attn.q_proj.weight", adapterShape: [8, 9], baseShape: [8, 8],
            base: basePath, declaredBase: "someone/other-model-1B")
        #expect(throws: expected) { _ = try MergeEngine(plan: plan([], untrusted: path)) }
        #expect(expected.description.contains("someone/other-model-1B"))
    }

    @Test func adapterTargetingAMissingTensor() throws {
        var adapter = TinyAdapter()
        adapter.add("lm_head", out: 12, in: 8, r: 2, seed: 4)
        let path = try adapter.write(to: dir.appendingPathComponent("lm-head"))
        #expect(throws: MergeInputError.adapterDoesNotFitBase(adapter: path, tensor: "lm_head.weight", adapterShape: [12, 8],
                                                              baseShape: nil, base: basePath, declaredBase: "tiny/base")) {
            _ = try MergeEngine(plan: plan([], untrusted: path))
        }
    }

    @Test func modulesToSaveAndDoRAAndStrayTensors() throws {
        var adapter = TinyAdapter()
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 8, r: 2, seed: 4)
        adapter.config["modules_to_save"] = ["lm_head"]
        let saving = try adapter.write(to: dir.appendingPathComponent("saving"))
        #expect(message { _ = try MergeEngine(plan: plan([], untrusted: saving)) }.contains("modules_to_save (lm_head)"))

        adapter.config["modules_to_save"] = NSNull()
        adapter.config["use_dora"] = true
        let dora = try adapter.write(to: dir.appendingPathComponent("dora"))
        #expect(message { _ = try MergeEngine(plan: plan([], untrusted: dora)) }.contains("DoRA"))

        adapter.config["use_dora"] = false
        let stray = try adapter.write(to: dir.appendingPathComponent("stray"),
                                      extraTensors: ["base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector": [8]])
        #expect(message { _ = try MergeEngine(plan: plan([], untrusted: stray)) }.contains("lora_magnitude_vector"))
    }

    @Test func rankDisagreesWithConfig() throws {
        var adapter = TinyAdapter()
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 8, r: 3, seed: 4)
        let path = try adapter.write(to: dir.appendingPathComponent("rank"))
        #expect(throws: MergeInputError.malformedAdapter(adapter: path, tensor: "model.layers.0.self_attn.q_proj",
            reason: "the factors have rank 3 but adapter_config.json gives r = 2 for this module")) {
            _ = try MergeEngine(plan: plan([], untrusted: path))
        }
    }

    @Test func pickleCheckpointsAndAdapters() throws {
        let pickle = dir.appendingPathComponent("model.bin")
        try Data([0x80, 0x02, 0x7d, 0x71]).write(to: pickle)
        #expect(throws: CheckpointError.pickleCheckpoint(file: pickle.path)) { _ = try MergeEngine(plan: plan([pickle.path])) }

        let folder = dir.appendingPathComponent("pickle-adapter")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: TinyAdapter().config).write(to: folder.appendingPathComponent("adapter_config.json"))
        try Data([0x50, 0x4B, 0x03, 0x04]).write(to: folder.appendingPathComponent("adapter_model.bin"))
        let expected = CheckpointError.pickleCheckpoint(file: folder.appendingPathComponent("adapter_model.bin").path)
        #expect(throws: expected) { _ = try MergeEngine(plan: plan([], untrusted: folder.path)) }
        #expect(expected.description.contains("safetensors"))
    }

    @Test func unknownFormat() throws {
        let odd = dir.appendingPathComponent("weights.npz")
        try Data("not a model".utf8).write(to: odd)
        #expect(throws: CheckpointError.unrecognizedFile(file: odd.path)) { _ = try MergeEngine(plan: plan([odd.path])) }
    }

    @Test func missingDonorFile() throws {
        let good = try base.fineTune(seed: 3).writeHF(to: dir.appendingPathComponent("good"))
        let missing = dir.appendingPathComponent("no-such-donor").path
        #expect(throws: CheckpointError.pathNotFound(path: missing)) { _ = try MergeEngine(plan: plan([good, missing])) }
    }

    @Test func duplicateDonor() throws {
        let good = try base.fineTune(seed: 3).writeHF(to: dir.appendingPathComponent("good"))
        #expect(throws: MergeInputError.duplicateInput(path: good)) { _ = try MergeEngine(plan: plan([good, good])) }
    }

    @Test func sameDonorUnderAnotherSpelling() throws {
        let good = try base.fineTune(seed: 3).writeHF(to: dir.appendingPathComponent("good"))
        let other = dir.appendingPathComponent("alias").path
        try FileManager.default.createSymbolicLink(atPath: other, withDestinationPath: good)
        #expect(throws: MergeInputError.duplicateInput(path: other)) { _ = try MergeEngine(plan: plan([good, other])) }
    }

    @Test func weightForAMethodWithoutWeights() throws {
        let a = try base.fineTune(seed: 3).writeHF(to: dir.appendingPathComponent("a"))
        let b = try base.fineTune(seed: 4).writeHF(to: dir.appendingPathComponent("b"))
        let plan = MergePlan(base: basePath, donors: [PlannedModel(path: b)], untrusted: PlannedModel(path: a, weight: 2),
                             method: "model_stock")
        #expect(message { _ = try MergeEngine(plan: plan) }.contains("unknown parameter \"weight\""))
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteWeights(_ bad: Float) throws {
        var broken = base.fineTune(seed: 2)
        broken.tensors["model.layers.1.mlp.gate_proj.weight"]![37] = bad
        let path = try broken.writeHF(to: dir.appendingPathComponent("broken"))
        let engine = try MergeEngine(plan: plan([path]))   // headers are fine; values are checked as they stream
        let expected = MergeInputError.nonFiniteValue(model: path, tensor: "model.layers.1.mlp.gate_proj.weight",
                                                      index: 37, value: bad)
        #expect(message { _ = try engine.loadWeights() } == expected.description)
        #expect(expected.description.contains(path) && expected.description.contains("gate_proj"))
    }

    @Test func nonFiniteAdapterFactor() throws {
        var adapter = TinyAdapter()
        adapter.add("model.layers.1.mlp.down_proj", out: 8, in: 16, r: 2, seed: 9)
        adapter.factors["model.layers.1.mlp.down_proj"]!.b[3] = .nan
        let path = try adapter.write(to: dir.appendingPathComponent("nan-adapter"))
        let engine = try MergeEngine(plan: plan([], untrusted: path))
        let text = message { _ = try engine.mergeTensor("model.layers.1.mlp.down_proj.weight") }
        #expect(text.contains(path) && text.contains("lora_B") && text.contains("nan"))
    }
}

