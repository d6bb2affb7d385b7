// The merge cache: SHA-256 against the standard's vectors, hits that equal the merge, and bad entries never served.
import Foundation
import Testing
import Inference
import Quant
@testable import Merge

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        // Padding edges: one block or two (digests from Python's hashlib).
        (String(repeating: "x", count: 55), "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"),
        (String(repeating: "x", count: 56), "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"),
        (String(repeating: "x", count: 63), "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"),
        (String(repeating: "x", count: 64), "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"),
        (String(repeating: "x", count: 65), "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"),
    ])
    func knownVectors(_ input: String, _ digest: String) {
        #expect(SHA256.hexDigest(input) == digest)
    }

    @Test func millionAsInOddPieces() {
        var h = SHA256()
        let a = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var start = 0
        for size in [1, 63, 64, 65, 127, 1000, 4093].cycled(until: a.count) {
            let end = min(a.count, start + size)
            a[start..<end].withUnsafeBytes { h.update($0) }
            start = end
        }
        #expect(SHA256.hex(h.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

extension Array where Element == Int {
    /// The sizes repeated until they cover `total`.
    func cycled(until total: Int) -> [Int] {
        var out: [Int] = [], sum = 0, i = 0
        while sum < total { out.append(self[i % count]); sum += self[i % count]; i += 1 }
        return out
    }
}

@Suite struct MergeCacheTests {
    let dir: URL
    let plan: MergePlan
    let cacheDir: URL

    init() throws {
        dir = try MergeLoadFixtures.temporaryDirectory()
        cacheDir = dir.appendingPathComponent("cache")
        let base = TinyModel(seed: 50)
        let basePath = try base.writeHF(to: dir.appendingPathComponent("base"))
        let donor = try base.fineTune(seed: 51).writeHF(to: dir.appendingPathComponent("donor"))
        var adapter = TinyAdapter()
        adapter.add("model.layers.0.self_attn.q_proj", out: 8, in: 8, r: 2, seed: 52)
        adapter.add("model.layers.1.mlp.down_proj", out: 8, in: 16, r: 2, seed: 53)
        let untrusted = try adapter.write(to: dir.appendingPathComponent("adapter"))
        plan = MergePlan(base: basePath, donors: [PlannedModel(path: donor)], untrusted: PlannedModel(path: untrusted),
                         method: "ties", parameters: ["density": 0.7])
    }

    func load(_ dtype: MergeOutputDType = .f32) throws -> MergedModel {
        try MergedModel.load(plan: plan, options: .init(cache: try MergeCache(directory: cacheDir.path), cacheDType: dtype))
    }

    /// Every tensor of the built model, by HF name.
    func tensors(_ w: LlamaWeights) -> [String: [Float]] {
        func f32(_ layer: any LinearLayer) -> [Float] { Array((layer as! F32Linear).weight.readOnly) }
        let hf = TensorNaming.huggingFace
        var out = [hf.embedding: Array(w.tokenEmbedding.readOnly), hf.outputNorm: Array(w.outputNorm.readOnly)]
        for (i, l) in w.layers.enumerated() {
            out[hf.layer(.attentionNorm, i)] = Array(l.attentionNorm.readOnly)
            out[hf.layer(.ffnNorm, i)] = Array(l.ffnNorm.readOnly)
            for (t, layer) in [(LayerTensor.query, l.query), (.key, l.key), (.value, l.value), (.attentionOutput, l.attentionOutput),
                               (.gate, l.gate), (.up, l.up), (.down, l.down)] {
                out[hf.layer(t, i)] = f32(layer)
            }
        }
        return out
    }

    @Test(arguments: [MergeOutputDType.f32, .bf16])
    func hitReturnsIdenticalTensors(_ dtype: MergeOutputDType) throws {
        let first = try load(dtype)
        guard case .stored(let path) = first.cache else { Issue.record("expected a stored entry, got \(first.cache)"); return }
        #expect(FileManager.default.fileExists(atPath: path))
        let second = try load(dtype)
        #expect(second.cache == .hit(path: path))
        #expect(tensors(first.weights) == tensors(second.weights))
        if dtype == .f32 {
            let uncached = try MergeEngine(plan: plan).loadWeights()
            #expect(tensors(uncached) == tensors(second.weights))
        }
    }

    @Test func keyFollowsRecipeAndInputs() throws {
        let engine = try MergeEngine(plan: plan)
        let key = try MergeCacheKey(engine: engine, dtype: .f32)
        #expect(try MergeCacheKey(engine: engine, dtype: .f32) == key)
        #expect(try MergeCacheKey(engine: engine, dtype: .bf16).hex != key.hex)
        var other = plan
        other.parameters["density"] = 0.6
        #expect(try MergeCacheKey(engine: MergeEngine(plan: other), dtype: .f32).hex != key.hex)
        other = plan
        other.donors[0].weight = 2
        #expect(try MergeCacheKey(engine: MergeEngine(plan: other), dtype: .f32).hex != key.hex)
        #expect(try MergeCacheKey(engine: engine, dtype: .f32, fingerprint: .full).hex != key.hex)
        // Rewriting an input (new mtime, new bytes) changes the key.
        try TinyModel(seed: 50).fineTune(seed: 99).writeHF(to: URL(fileURLWithPath: plan.donors[0].path))
        #expect(try MergeCacheKey(engine: MergeEngine(plan: plan), dtype: .f32).hex != key.hex)
    }

    @Test func corruptedByteIsDetectedAndRebuilt() throws {
        let first = try load()
        guard case .stored(let path) = first.cache else { Issue.record("not stored: \(first.cache)"); return }
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size - 100)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: size - 100)
        try handle.write(contentsOf: Data([byte ^ 0x01]))
        try handle.close()

        let second = try load()
        guard case .rebuilt(let rebuiltPath, let reason) = second.cache else {
            Issue.record("expected a rebuild, got \(second.cache)")
            return
        }
        #expect(rebuiltPath == path && reason.contains("checksum"))
        #expect(tensors(second.weights) == tensors(first.weights))
        #expect(try load().cache == .hit(path: path))
    }

    @Test func truncatedEntryIsDetectedAndRebuilt() throws {
        let first = try load()
        guard case .stored(let path) = first.cache else { Issue.record("not stored: \(first.cache)"); return }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size - 333)) == 0)
        let second = try load()
        guard case .rebuilt = second.cache else { Issue.record("expected a rebuild, got \(second.cache)"); return }
        #expect(tensors(second.weights) == tensors(first.weights))
        #expect(try load().cache == .hit(path: path))
    }

    @Test func entryOfAnotherKeyIsNotServed() throws {
        let first = try load()
        guard case .stored(let path) = first.cache else { Issue.record("not stored: \(first.cache)"); return }
        var other = plan
        other.parameters["density"] = 0.5
        let otherKey = try MergeCacheKey(engine: MergeEngine(plan: other), dtype: .f32)
        let cache = try MergeCache(directory: cacheDir.path)
        try FileManager.default.copyItem(atPath: path, toPath: cache.entryPath(otherKey))
        let result = try MergedModel.load(plan: other, options: .init(cache: cache))
        guard case .rebuilt(_, let reason) = result.cache else { Issue.record("expected a rebuild, got \(result.cache)"); return }
        #expect(reason.contains("another key"))
    }

    @Test func leftoverTemporaryFileIsIgnoredAndCleaned() throws {
        let engine = try MergeEngine(plan: plan)
        let key = try MergeCacheKey(engine: engine, dtype: .f32)
        try FileManager.default.createDirectory(at: cacheDir, withIntermediateDirectories: true)
        // A write killed half-way: a dead process's temp file with a plausible beginning.
        let deadPID: Int32 = 4_194_303 + 1_000   // above Linux's pid_max limit: never a live process
        let stale = cacheDir.appendingPathComponent(".\(key.hex).tmp-\(deadPID)-1234")
        try Data(repeating: 7, count: 4096).write(to: stale)
        // One of a live writer (this process) must be left alone.
        let live = cacheDir.appendingPathComponent(".\(key.hex).tmp-\(getpid())-5678")
        try Data(repeating: 7, count: 16).write(to: live)

        let result = try load()
        guard case .stored = result.cache else { Issue.record("expected a fresh merge, got \(result.cache)"); return }
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: live.path))
        try FileManager.default.removeItem(at: live)
        #expect(try load().cache == .hit(path: try MergeCache(directory: cacheDir.path).entryPath(key)))
    }

    @Test func unwritableCacheStillServes() throws {
        let blocker = dir.appendingPathComponent("blocked")
        let cache = try MergeCache(directory: blocker.path)
        chmod(blocker.path, 0o500)
        defer { chmod(blocker.path, 0o700) }
        let result = try MergedModel.load(plan: plan, options: .init(cache: cache))
        if getuid() != 0 {   // root writes anyway
            guard case .writeFailed = result.cache else { Issue.record("expected writeFailed, got \(result.cache)"); return }
        }
        #expect(result.weights.layers.count == 2)
    }
}

@Suite struct XXH64Tests {
    /// Digests from Python's xxhash 4.1 (xxh64_intdigest, seed 0).
    @Test func knownVectors() {
        func digest(_ bytes: [UInt8]) -> UInt64 {
            var h = XXH64()
            bytes.withUnsafeBytes { h.update($0) }
            return h.finalize()
        }
        #expect(digest([]) == 0xef46db3751d8e999)
        #expect(digest(Array("a".utf8)) == 0xd24ec4f1a98c6e5b)
        #expect(digest(Array("abc".utf8)) == 0x44bc2cf5ad770999)
        let long = (0..<3).flatMap { _ in (0..<256).map { UInt8($0) } } + Array("xyz".utf8)
        #expect(digest(long) == 0xe921a1b45bd779f8)
    }

    @Test(arguments: [0, 1, 31, 32, 33, 100, 771])
    func streamingInPiecesEqualsOneShot(_ size: Int) {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var streamed = XXH64()
        var start = 0
        for piece in [5, 32, 1, 40, 13].cycled(until: size) where start < size {
            let end = min(size, start + piece)
            bytes[start..<end].withUnsafeBytes { streamed.update($0) }
            start = end
        }
        #expect(streamed.hexDigest == bytes.withUnsafeBytes { XXH64.hexDigest($0) })
    }
}
