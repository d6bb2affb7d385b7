// The tokenizer files written from a GGUF's metadata read back, through our tokenizer.json reader, as the GGUF's own tokenizer.
import Foundation
import Testing
import Inference
@testable import Merge

@Suite struct HFTokenizerFilesTests {
    static let texts = ["The quick brown fox jumps over the lazy dog.", "a  123 4567 ¿Qué tal? 日本語 🙂",
                        "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", "  leading and trailing  ", ""]

    @Test func smolLM2TokenizerRoundTrips() throws {
        let gguf = try GGUFFile(path: MergeLoadFixtures.smolLM2GGUF)
        let files = Dictionary(uniqueKeysWithValues: try HFTokenizerFiles.fromGGUF(gguf).map { ($0.name, $0.data) })
        #expect(Set(files.keys) == ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"])
        let original = try BPETokenizer(gguf: gguf)
        let exported = try BPETokenizer(tokenizerJSON: files["tokenizer.json"]!, file: "tokenizer.json",
                                        tokenizerConfigJSON: files["tokenizer_config.json"])
        #expect(exported.vocabSize == original.vocabSize)
        #expect(exported.preTokenizerKind == original.preTokenizerKind)
        #expect(exported.bosID == original.bosID && exported.eosID == original.eosID && exported.padID == original.padID)
        #expect(exported.addsBOSByDefault == original.addsBOSByDefault)
        #expect(exported.addedTokens.map(\.content) == original.addedTokens.map(\.content))
        for text in Self.texts {
            #expect(exported.encode(text) == original.encode(text), "\(text)")
        }
        let config = try JSONSerialization.jsonObject(with: files["tokenizer_config.json"]!) as? [String: Any]
        #expect(config?["chat_template"] as? String == gguf.metadata["tokenizer.chat_template"]?.stringValue)
    }
}
