// Facts of the default model's GGUF as gguf-py reports them, and its tensors decoded as in Tests/Fixtures/dequant.
import Foundation
import Testing
@testable import Inference
import Quant

@Suite struct GGUFDefaultModelTests {
    static func open() throws -> GGUFFile {
        try #require(FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF), "run scripts/setup.sh to fetch the default model")
        return try GGUFFile(path: Fixtures.smolLM2GGUF)
    }

    @Test func headerAndHyperparameters() throws {
        let file = try Self.open()
        #expect(file.version == 3)
        #expect(file.metadataKeys.count == 33)  // gguf-py: GGUF.kv_count 33
        #expect(file.alignment == 32)
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 30)
        #expect(try file.int("llama.embedding_length") == 576)
        #expect(try file.int("llama.feed_forward_length") == 1536)
        #expect(try file.int("llama.attention.head_count") == 9)
        #expect(try file.int("llama.attention.head_count_kv") == 3)
        #expect(try file.int("llama.context_length") == 8192)
        #expect(try file.int("llama.vocab_size") == 49152)
        #expect(try file.double("llama.rope.freq_base") == 100_000)
        #expect(try file.double("llama.attention.layer_norm_rms_epsilon") == Double(Float(1e-5)))
        #expect(try file.stringArray("tokenizer.ggml.tokens").count == 49152)
        #expect(try file.stringArray("tokenizer.ggml.merges").count == 48900)
        #expect(try file.intArray("tokenizer.ggml.token_type").count == 49152)
        #expect(try file.string("tokenizer.ggml.model") == "gpt2")
        #expect(try file.string("tokenizer.ggml.pre") == "smollm")
        #expect(try file.int("tokenizer.ggml.bos_token_id") == 1)
        #expect(try file.int("tokenizer.ggml.eos_token_id") == 2)
        #expect(try file.int("tokenizer.ggml.padding_token_id") == 2)
        #expect(file.metadata["tokenizer.ggml.add_bos_token"]?.boolValue == false)
    }

    @Test func tensorDirectory() throws {
        let file = try Self.open()
        #expect(file.tensors.count == 272)
        let byType = Dictionary(grouping: file.tensors, by: \.type).mapValues(\.count)
        #expect(byType == [.q4_1: 210, .f32: 61, .q8_0: 1])  // gguf-py: Q4_1 210, F32 61, Q8_0 1
        let embedding = try #require(file.tensorInfo("token_embd.weight"))
        #expect(embedding.shape == [49152, 576] && embedding.type == .q8_0)
        #expect(file.tensorInfo("output.weight") == nil, "embeddings are tied")
        #expect(file.tensorInfo("blk.0.ffn_down.weight")?.shape == [576, 1536])
        #expect(file.tensorInfo("blk.29.attn_k.weight")?.shape == [192, 576])
        #expect(file.dataOffset + file.tensors.map { $0.offset + $0.byteCount }.max()! <= FileManager.default.sizeOfFile(Fixtures.smolLM2GGUF))
    }

    /// The golden samples of Tests/Fixtures/dequant were cut from these tensors (see its manifest.json).
    @Test(arguments: [("F32", "blk.0.attn_norm.weight", 0), ("Q8_0", "token_embd.weight", 576_000), ("Q4_1", "blk.3.ffn_down.weight", 153_600)])
    func decodesLikeGGUFPy(type: String, tensor: String, start: Int) throws {
        let file = try Self.open()
        let expectedData = try Fixtures.data("dequant/\(type).f32")
        let expected = expectedData.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian }
        }
        let values = try file.dequantize(tensor)
        #expect(values[start..<(start + expected.count)].map(\.bitPattern) == expected)
    }
}

extension FileManager {
    fileprivate func sizeOfFile(_ path: String) -> Int { ((try? attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
}
