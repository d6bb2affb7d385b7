// BPETokenizer built from a small committed tokenizer.json (trained with `tokenizers`), in each of its merge spellings.
import Foundation
import Testing
@testable import Inference

@Suite struct TokenizerJSONTests {
    let json: Data
    let cases: [TokenizerGoldenCase]

    init() throws {
        json = try Fixtures.data("tokenizer/tiny_bpe.json")
        cases = try TokenizerGoldens.load("tiny_bpe_ids.json")
    }

    /// The fixture with one part of its JSON replaced.
    private func edited(_ change: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        change(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    private func expectMatches(_ tokenizer: BPETokenizer, _ expectedIDs: (TokenizerGoldenCase) -> [Int32]? = { $0.ids }) {
        #expect(cases.count >= 200)
        for c in cases {
            let expected = expectedIDs(c)
            #expect(tokenizer.encode(c.text) == expected, "\(TokenizerGoldens.show(c.text))")
            #expect(TokenizerGoldens.bytes(tokenizer.decode(c.ids)) == TokenizerGoldens.bytes(c.text))
        }
    }

    @Test func pairMergesMatchReference() throws {
        let tokenizer = try BPETokenizer(tokenizerJSON: json, file: "tiny_bpe.json")
        #expect(tokenizer.preTokenizerKind == .smollm)
        #expect(tokenizer.addedTokens.map(\.content) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        expectMatches(tokenizer)
    }

    @Test func stringMergesMatchReference() throws {
        let data = try edited { object in
            var model = object["model"] as! [String: Any]
            model["merges"] = (model["merges"] as! [[String]]).map { $0.joined(separator: " ") }
            object["model"] = model
        }
        expectMatches(try BPETokenizer(tokenizerJSON: data, file: "tiny_bpe.json"))
    }

    @Test func plainByteLevelPreTokenizerMatchesReference() throws {
        let data = try edited { object in
            object["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        }
        let tokenizer = try BPETokenizer(tokenizerJSON: data, file: "tiny_bpe.json")
        #expect(tokenizer.preTokenizerKind == .gpt2)
        expectMatches(tokenizer) { $0.gpt2Ids }
    }

    @Test func llama3SplitWithIgnoreMergesMatchesReference() throws {
        let data = try Fixtures.data("tokenizer/tiny_bpe_llama3.json")
        let tokenizer = try BPETokenizer(tokenizerJSON: data, file: "tiny_bpe_llama3.json")
        #expect(tokenizer.preTokenizerKind == .llama3)
        expectMatches(tokenizer) { $0.llama3Ids }
    }

    @Test func tokenizerConfigSuppliesSpecialIDs() throws {
        let config = Data(#"{"bos_token": "<|im_start|>", "eos_token": {"content": "<|im_end|>"}, "add_bos_token": true}"#.utf8)
        let tokenizer = try BPETokenizer(tokenizerJSON: json, file: "dir/tokenizer.json", tokenizerConfigJSON: config)
        #expect(tokenizer.bosID == 1)
        #expect(tokenizer.eosID == 2)
        #expect(tokenizer.endOfTurnIDs == [2, 0])
        #expect(tokenizer.encode("The cat").first == 1)
    }

    // MARK: errors name the field

    private func error(_ data: Data) -> TokenizerError? {
        do {
            _ = try BPETokenizer(tokenizerJSON: data, file: "t.json")
            return nil
        } catch {
            return error
        }
    }

    @Test func malformedJSONIsReported() {
        let e = error(Data("{not json".utf8))
        guard case .malformedJSON(file: "t.json", _)? = e else {
            Issue.record("expected malformedJSON, got \(String(describing: e))")
            return
        }
    }

    @Test func missingVocabularyNamesTheField() throws {
        let data = try edited { object in
            var model = object["model"] as! [String: Any]
            model["vocab"] = nil
            object["model"] = model
        }
        #expect(error(data) == .missingField(file: "t.json", field: "model.vocab"))
        #expect(error(data)?.description.contains("\"model.vocab\"") == true)
    }

    @Test func badMergeEntryNamesTheField() throws {
        let data = try edited { object in
            var model = object["model"] as! [String: Any]
            var merges = model["merges"] as! [Any]
            merges[1] = 42
            model["merges"] = merges
            object["model"] = model
        }
        #expect(error(data) == .wrongFieldType(file: "t.json", field: "model.merges[1]", expected: "a string \"a b\" or a pair [\"a\", \"b\"]"))
    }

    @Test func mergeNamingUnknownTokenIsRefused() throws {
        let data = try edited { object in
            var model = object["model"] as! [String: Any]
            var merges = model["merges"] as! [Any]
            merges[3] = ["Ġt", "nonexistent"]
            model["merges"] = merges
            object["model"] = model
        }
        #expect(error(data) == .unknownMergeToken(file: "t.json", index: 3, merge: "Ġt nonexistent", token: "nonexistent"))
    }

    @Test func unsupportedStagesAreRefusedByName() throws {
        let normalizer = try edited { $0["normalizer"] = ["type": "NFC"] }
        #expect(error(normalizer) == .unsupportedStage(file: "t.json", field: "normalizer", value: "NFC"))
        let metaspace = try edited { $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁"] }
        #expect(error(metaspace) == .unsupportedPreTokenizer(file: "t.json", field: "pre_tokenizer", value: "[Metaspace]"))
        let wordPiece = try edited { object in
            var model = object["model"] as! [String: Any]
            model["type"] = "WordPiece"
            object["model"] = model
        }
        #expect(error(wordPiece) == .unsupportedModel(file: "t.json", field: "model.type", value: "WordPiece", supported: ["BPE"]))
        let llama3 = try edited { object in
            object["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": "\\p{N}{1,3}"], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]]
        }
        #expect(error(llama3) == .unsupportedPreTokenizer(file: "t.json", field: "pre_tokenizer.pretokenizers[0].pattern.Regex", value: "\"\\p{N}{1,3}\""))
    }
}
