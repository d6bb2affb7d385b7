// Exported merges read back: HF safetensors (f32, bf16) with config and tokenizer files; f32 GGUF in llama.cpp's order.
import Foundation
import Testing
import Inference
import Quant
@testable import Merge

@Suite struct MergeExportTests {
    let dir: URL
    let base = TinyModel(seed: 60)

    init() throws { dir = try MergeLoadFixtures.temporaryDirectory() }

    func plan(base basePath: String) throws -> MergePlan {
        let donor = try base.fineTune(seed: 61).writeHF(to: dir.appendingPathComponent("donor"))
        var adapter = TinyAdapter()
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 8, r: 2, seed: 62)
        adapter.add("model.layers.1.self_attn.k_proj", out: 4, in: 8, r: 2, seed: 63)
        let untrusted = try adapter.write(to: dir.appendingPathComponent("adapter"))
        return MergePlan(base: basePath, donors: [PlannedModel(path: donor)], untrusted: PlannedModel(path: untrusted),
                         method: "task_arithmetic", parameters: ["lambda": 0.5])
    }

    @Test func hfFolderRoundTrip() throws {
        let baseFolder = dir.appendingPathComponent("base")
        try base.writeHF(to: baseFolder)
        try Data("{\"model\": {\"vocab\": {\"a\": 0, \"b\": 11}}}".utf8).write(to: baseFolder.appendingPathComponent("tokenizer.json"))
        try Data("{\"chat_template\": \"{{ messages }}\"}".utf8).write(to: baseFolder.appendingPathComponent("tokenizer_config.json"))
        let engine = try MergeEngine(plan: try plan(base: baseFolder.path))
        let out = dir.appendingPathComponent("export-f32")
        let report = try MergeExport.writeHF(engine: engine, to: out.path, dtype: .f32)
        #expect(report.missingTokenizer == nil)
        #expect(Set(report.files.map { ($0 as NSString).lastPathComponent })
                == ["model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json"])

        let reread = try ModelCheckpoint.open(path: out.path)
        #expect(reread.config == engine.config)
        #expect(reread.huggingFace?.chatTemplate == "{{ messages }}")
        for tensor in engine.tensors {
            let merged = try engine.mergeTensor(tensor.name)
            let written = try reread.source.readFloats(tensor.name)
            #expect(written == Array(merged.readOnly), "\(tensor.name)")
        }
        // No temp file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { !$0.hasPrefix(".") })

        let bf16 = dir.appendingPathComponent("export-bf16")
        try MergeExport.writeHF(engine: engine, to: bf16.path, dtype: .bf16)
        let half = try SafetensorsFile(path: bf16.appendingPathComponent("model.safetensors").path)
        let name = "model.layers.0.self_attn.q_proj.weight"
        #expect(half.tensorInfo(name)?.dtype == .bf16)
        let merged = try engine.mergeTensor(name)
        #expect(try half.readFloats(name) == merged.readOnly.map { bf16ToFloat(floatToBF16($0)) })
    }

    @Test func ggufBaseWritesConfigAndSaysTokenizerIsMissing() throws {
        let basePath = try base.writeGGUF(to: dir.appendingPathComponent("base.gguf"))
        let engine = try MergeEngine(plan: try plan(base: basePath))
        let out = dir.appendingPathComponent("from-gguf")
        let report = try MergeExport.writeHF(engine: engine, to: out.path)
        #expect(report.missingTokenizer?.contains("tokenizer") == true)
        let reread = try ModelCheckpoint.open(path: out.path)
        #expect(reread.config == engine.config)
    }

    @Test func ggufRoundTripRestoresRowOrderAndMetadata() throws {
        let basePath = try base.writeGGUF(to: dir.appendingPathComponent("base.gguf"))
        let engine = try MergeEngine(plan: try plan(base: basePath))
        let out = dir.appendingPathComponent("merged.gguf").path
        try MergeExport.writeGGUF(engine: engine, to: out)

        let written = try GGUFFile(path: out)
        let original = try GGUFFile(path: basePath)
        #expect(written.metadataKeys == original.metadataKeys)
        #expect(written.metadata["tokenizer.ggml.tokens"] == original.metadata["tokenizer.ggml.tokens"])
        #expect(written.tensors.allSatisfy { $0.type == .f32 })
        #expect(written.tensorInfo("blk.0.attn_q.weight") != nil)
        // Read back through the HF view (which undoes the GGUF row order): the merge, exactly.
        let reread = try CheckpointInput(path: out)
        for tensor in engine.tensors {
            let merged = try engine.mergeTensor(tensor.name)
            let back = AlignedBuffer<Float>(count: tensor.elementCount)
            _ = try reread.read(tensor.name, into: back.buffer)
            #expect(Array(back.readOnly) == Array(merged.readOnly), "\(tensor.name)")
        }
        // And the raw q rows are not in HF order (the permutation was applied, not skipped).
        let rawQ = try written.readFloats("blk.0.attn_q.weight")
        let hfQ = try engine.mergeTensor("model.layers.0.self_attn.q_proj.weight")
        #expect(rawQ != Array(hfQ.readOnly))
    }

    /// Every way to write an export gives the same bytes: fresh (the parallel writer), durable (fsync'd: --fsync),
    /// stored into the merge cache and read back from it (the ordered writer).
    @Test func exportFromCacheHitEqualsFreshExport() throws {
        let basePath = try base.writeGGUF(to: dir.appendingPathComponent("base.gguf"))
        let engine = try MergeEngine(plan: try plan(base: basePath))
        let cache = try MergeCache(directory: dir.appendingPathComponent("cache").path)
        let fresh = try MergeExport.writeHF(engine: engine, to: dir.appendingPathComponent("fresh").path)
        try MergeExport.writeHF(engine: engine, to: dir.appendingPathComponent("durable").path, durable: true)
        let stored = try MergeExport.writeHF(engine: engine, to: dir.appendingPathComponent("stored").path, cache: cache,
                                             durable: true)
        let hit = try MergeExport.writeHF(engine: engine, to: dir.appendingPathComponent("hit").path, cache: cache)
        let gguf = try MergeExport.writeGGUF(engine: engine, to: dir.appendingPathComponent("hit.gguf").path, cache: cache)
        let entry = cache.entryPath(try MergeCacheKey(engine: engine, dtype: .f32))
        #expect(fresh.cache == .disabled)
        #expect(stored.cache == .stored(path: entry))
        #expect(hit.cache == .hit(path: entry))
        #expect(gguf.cache == .hit(path: entry))
        for name in ["model.safetensors", "config.json"] {
            let reference = FileManager.default.contents(atPath: dir.appendingPathComponent("fresh/\(name)").path)
            #expect(reference != nil)
            #expect(FileManager.default.contents(atPath: dir.appendingPathComponent("durable/\(name)").path) == reference)
            #expect(FileManager.default.contents(atPath: dir.appendingPathComponent("stored/\(name)").path) == reference)
            #expect(FileManager.default.contents(atPath: dir.appendingPathComponent("hit/\(name)").path) == reference)
        }
    }

    @Test func ggufNeedsGGUFBase() throws {
        let basePath = try base.writeHF(to: dir.appendingPathComponent("base"))
        let engine = try MergeEngine(plan: try plan(base: basePath))
        #expect(throws: MergeWriteError.needsGGUFBase(base: basePath)) {
            try MergeExport.writeGGUF(engine: engine, to: dir.appendingPathComponent("x.gguf").path)
        }
    }
}

/// What a killed export leaves (a hidden partial named after a dead process) is removed by the next export, and an
/// export replaces an older one only once it is complete.
@Suite struct StagedOutputTests {
    @Test func staleLeftoversAreRemovedAndCommitReplaces() throws {
        let dir = try MergeLoadFixtures.temporaryDirectory()
        let target = dir.appendingPathComponent("out")
        // A pid far above pid_max (4194304) belongs to no process.
        let dead = dir.appendingPathComponent(".out.partial-2147483000")
        try FileManager.default.createDirectory(at: dead, withIntermediateDirectories: true)
        let unrelated = dir.appendingPathComponent(".other.partial-2147483000")
        try FileManager.default.createDirectory(at: unrelated, withIntermediateDirectories: true)

        let first = try StagedOutput(target: target.path, kind: .folder, durable: true)
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: unrelated.path))
        try first.write(Data("one".utf8), as: "a.txt")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        try first.commit()
        #expect(FileManager.default.contents(atPath: target.appendingPathComponent("a.txt").path) == Data("one".utf8))

        let second = try StagedOutput(target: target.path, kind: .folder, durable: false)
        try second.write(Data("two".utf8), as: "b.txt")
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("a.txt").path))
        try second.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path) == ["b.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [".other.partial-2147483000", "out"])
    }
}
