// BPETokenizer from hand-made GGUF metadata: what it accepts and how it names what is wrong.
import Testing
@testable import Inference

@Suite struct TokenizerGGUFMetadataTests {
    /// A minimal byte-level vocabulary: the 256 byte tokens, "Ġt", "he", "Ġthe", and a control token.
    static func metadata(merges: [String] = ["Ġ t", "h e", "Ġt he"]) -> [String: GGUFValue] {
        var tokens = (0..<256).map { String(ByteLevelAlphabet.scalarForByte[$0]) }
        tokens += ["Ġt", "he", "Ġthe", "<|end|>"]
        var types = [Int](repeating: 1, count: tokens.count)
        types[types.count - 1] = 3
        return [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("gpt-2"),
            "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
            "tokenizer.ggml.merges": .array(merges.map { .string($0) }),
            "tokenizer.ggml.token_type": .array(types.map { .int32(Int32($0)) }),
            "tokenizer.ggml.eos_token_id": .uint32(259),
        ]
    }

    private func error(_ metadata: [String: GGUFValue]) -> TokenizerError? {
        do {
            _ = try BPETokenizer(ggufMetadata: metadata, file: "m.gguf")
            return nil
        } catch {
            return error
        }
    }

    @Test func tinyVocabularyEncodesAndDecodes() throws {
        let tokenizer = try BPETokenizer(ggufMetadata: Self.metadata(), file: "m.gguf")
        let the = try #require(tokenizer.id(of: "Ġthe"))
        #expect(tokenizer.encode(" the<|end|>") == [the, 259])
        #expect(tokenizer.encode("the") == [try #require(tokenizer.id(of: "t")), 257])
        #expect(tokenizer.decode(tokenizer.encode("x the thé<|end|>")) == "x the thé<|end|>")
        #expect(tokenizer.endOfTurnIDs == [259])
        #expect(tokenizer.isSpecial(259))
    }

    @Test func bytesWithoutATokenAreDropped() throws {
        var m = Self.metadata()
        var tokens = m["tokenizer.ggml.tokens"]!.arrayValue!
        tokens[4] = .string("<unused>")  // byte 0x04, which SmolLM2's vocabulary also lacks
        m["tokenizer.ggml.tokens"] = .array(tokens)
        let tokenizer = try BPETokenizer(ggufMetadata: m, file: "m.gguf")
        #expect(tokenizer.decode(tokenizer.encode("a\u{04}b")) == "ab")
    }

    @Test func streamingDecoderHoldsBackIncompleteCharacters() throws {
        // In this vocabulary token i (for i < 256) is the single byte i.
        let tokenizer = try BPETokenizer(ggufMetadata: Self.metadata(), file: "m.gguf")
        var stream = StreamingDecoder(tokenizer: tokenizer)
        #expect([0xF0, 0x9F, 0x98, 0x80].map { stream.append($0) } == ["", "", "", "😀"])
        #expect(stream.append(0x61) == "a")
        #expect(stream.append(0xC3) == "")
        #expect(stream.append(0xFF) == "\u{FFFD}\u{FFFD}", "a byte that can never be completed is released at once")
        #expect(stream.append(0xE2) == "")
        #expect(stream.finish() == "\u{FFFD}", "an unfinished character is flushed as U+FFFD")
        #expect(stream.finish() == "")
        var skipping = StreamingDecoder(tokenizer: tokenizer, skipSpecial: true)
        #expect(skipping.append(259) == "")
        #expect(skipping.append(257) == "he")
    }

    @Test func missingVocabularyKeyIsNamed() {
        var m = Self.metadata()
        m["tokenizer.ggml.tokens"] = nil
        #expect(error(m) == .missingField(file: "m.gguf", field: "tokenizer.ggml.tokens"))
        #expect(error(m)?.description.contains("tokenizer.ggml.tokens") == true)
        var noMerges = Self.metadata()
        noMerges["tokenizer.ggml.merges"] = nil
        #expect(error(noMerges) == .missingField(file: "m.gguf", field: "tokenizer.ggml.merges"))
    }

    @Test func mergeNamingUnknownTokenIsNamed() {
        let e = error(Self.metadata(merges: ["Ġ t", "h zz"]))
        #expect(e == .unknownMergeToken(file: "m.gguf", index: 1, merge: "h zz", token: "zz"))
        #expect(e?.description.contains("\"zz\"") == true)
        #expect(error(Self.metadata(merges: ["Ġ t", "he"])) == .malformedMerge(file: "m.gguf", index: 1, merge: "he"))
        #expect(error(Self.metadata(merges: ["t h"])) == .mergeResultNotInVocabulary(file: "m.gguf", index: 0, merge: "t h"))
    }

    @Test func wrongTypesAndUnsupportedKindsAreNamed() {
        var m = Self.metadata()
        m["tokenizer.ggml.model"] = .string("llama")
        #expect(error(m) == .unsupportedModel(file: "m.gguf", field: "tokenizer.ggml.model", value: "llama", supported: ["byte-level BPE (\"gpt2\")"]))
        m = Self.metadata()
        m["tokenizer.ggml.pre"] = .string("llama-bpe")
        #expect(error(m) == nil, "Llama-3's pre-tokenizer is implemented")
        m["tokenizer.ggml.pre"] = .string("made-up")
        #expect(error(m) == .unsupportedPreTokenizer(file: "m.gguf", field: "tokenizer.ggml.pre", value: "\"made-up\""))
        m = Self.metadata()
        m["tokenizer.ggml.tokens"] = .string("not an array")
        #expect(error(m) == .wrongFieldType(file: "m.gguf", field: "tokenizer.ggml.tokens", expected: "an array of strings, not string"))
        m = Self.metadata()
        m["tokenizer.ggml.eos_token_id"] = .uint32(9999)
        #expect(error(m) == .tokenIDOutOfRange(file: "m.gguf", field: "tokenizer.ggml.eos_token_id", id: 9999, vocabularySize: 260))
        m = Self.metadata()
        m["tokenizer.ggml.token_type"] = .array([.int32(1)])
        #expect(error(m) == .lengthMismatch(file: "m.gguf", field: "tokenizer.ggml.token_type", count: 1, expected: 260))
        m = Self.metadata()
        var tokens = m["tokenizer.ggml.tokens"]!.arrayValue!
        tokens[0x21] = .string("X!")  // "!" no longer has its token: not a byte-level vocabulary
        m["tokenizer.ggml.tokens"] = .array(tokens)
        #expect(error(m) == .missingByteToken(file: "m.gguf", byte: 0x21, token: "!"))
    }
}
