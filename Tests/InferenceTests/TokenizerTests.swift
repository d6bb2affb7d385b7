// BPETokenizer against the reference `tokenizers` ids for SmolLM2 and a tiny trained vocabulary, plus decoding and errors.
import Foundation
import Testing
@testable import Inference

@Suite struct TokenizerTests {
    let cases: [TokenizerGoldenCase]

    init() throws {
        cases = try TokenizerGoldens.load("smollm2.json")
    }

    private func smolLM2() throws -> BPETokenizer { try TokenizerGoldens.smolLM2.get() }

    @Test func fixtureIsLargeAndVaried() {
        #expect(cases.count >= 1000)
        #expect(cases.contains { $0.idsNoSpecial != nil })
        // Only the strings with bytes SmolLM2 has no token for may fail to round-trip.
        #expect(cases.filter { $0.decoded != nil }.count <= 5)
    }

    @Test func smolLM2FromGGUFMatchesReferenceIDs() throws {
        let tokenizer = try smolLM2()
        #expect(tokenizer.vocabSize == 49152)
        #expect(tokenizer.preTokenizerKind == .smollm)
        var mismatches: [String] = []
        for c in cases {
            let ids = tokenizer.encode(c.text)
            if ids != c.ids { mismatches.append("\(TokenizerGoldens.show(c.text)): got \(ids), expected \(c.ids)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    /// SmolLM2's vocabulary split by other rules (via tokenizer.ggml.pre), against the reference with those rules.
    @Test(arguments: [("gpt2", PreTokenizerKind.gpt2), ("llama-bpe", .llama3)])
    func otherSplitRulesOnSmolLM2Vocabulary(pre: String, kind: PreTokenizerKind) throws {
        var metadata = try TokenizerGoldens.smolLM2Metadata.get()
        metadata["tokenizer.ggml.pre"] = .string(pre)
        let tokenizer = try BPETokenizer(ggufMetadata: metadata, file: Fixtures.smolLM2GGUF)
        #expect(tokenizer.preTokenizerKind == kind)
        let variantIDs: (TokenizerGoldenCase) -> [Int32]? = kind == .gpt2 ? { $0.gpt2Ids } : { $0.llama3Ids }
        #expect(cases.filter { variantIDs($0) != nil }.count >= 50, "the fixture should exercise where the rules differ")
        var mismatches: [String] = []
        for c in cases {
            let expected = variantIDs(c) ?? c.ids
            let ids = tokenizer.encode(c.text)
            if ids != expected { mismatches.append("\(TokenizerGoldens.show(c.text)): got \(ids), expected \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func decodeRoundTripsEveryFixtureString() throws {
        let tokenizer = try smolLM2()
        for c in cases {
            let decoded = tokenizer.decode(c.ids)
            #expect(TokenizerGoldens.bytes(decoded) == TokenizerGoldens.bytes(TokenizerGoldens.expectedText(c)), "\(TokenizerGoldens.show(c.text))")
        }
    }

    @Test func streamingDecodeEqualsFullDecodeAndNeverSplitsACharacter() throws {
        let tokenizer = try smolLM2()
        for c in cases {
            var stream = StreamingDecoder(tokenizer: tokenizer)
            var pieces: [String] = []
            for id in c.ids { pieces.append(stream.append(id)) }
            pieces.append(stream.finish())
            let joined = pieces.joined()
            #expect(TokenizerGoldens.bytes(joined) == TokenizerGoldens.bytes(TokenizerGoldens.expectedText(c)), "\(TokenizerGoldens.show(c.text))")
            if !c.text.unicodeScalars.contains("\u{FFFD}") {
                // A half character would have come out as U+FFFD.
                #expect(!pieces.contains { $0.unicodeScalars.contains("\u{FFFD}") }, "\(TokenizerGoldens.show(c.text))")
            }
        }
    }

    @Test func emojiSplitAcrossTokensComesOutWhole() throws {
        let tokenizer = try smolLM2()
        let family = "👨‍👩‍👧‍👦"
        let ids = tokenizer.encode(family)
        var stream = StreamingDecoder(tokenizer: tokenizer)
        let pieces = ids.map { stream.append($0) } + [stream.finish()]
        #expect(pieces.joined() == family)
        #expect(pieces.contains(""), "expected some token to end mid-character, holding its bytes back")
        for piece in pieces {
            #expect(piece.unicodeScalars.allSatisfy { $0 == "\u{200D}" || $0.properties.isEmoji }, "piece \(TokenizerGoldens.show(piece))")
        }
    }

    @Test func specialTokensCanBeParsedOrTreatedAsText() throws {
        let tokenizer = try smolLM2()
        let withSpecials = cases.filter { $0.idsNoSpecial != nil }
        #expect(withSpecials.count >= 10)
        for c in withSpecials {
            #expect(tokenizer.encode(c.text, parseSpecial: false) == c.idsNoSpecial, "\(TokenizerGoldens.show(c.text))")
            #expect(tokenizer.decode(c.ids, skipSpecial: true) == c.decodedSkipSpecial, "\(TokenizerGoldens.show(c.text))")
        }
        let imEnd = try #require(tokenizer.id(of: "<|im_end|>"))
        #expect(tokenizer.encode("<|im_end|>") == [imEnd])
        #expect(!tokenizer.encode("<|im_end|>", parseSpecial: false).contains(imEnd))
        #expect(tokenizer.isSpecial(imEnd))
        #expect(tokenizer.token(imEnd) == "<|im_end|>")
    }

    @Test func specialIDsAndBOS() throws {
        let tokenizer = try smolLM2()
        #expect(tokenizer.bosID == 1)
        #expect(tokenizer.eosID == 2)
        #expect(tokenizer.padID == 2)
        #expect(!tokenizer.addsBOSByDefault)
        #expect(tokenizer.endOfTurnIDs.contains(2))
        #expect(tokenizer.encode("") == [])
        #expect(tokenizer.encode("", addBOS: true) == [1])
        #expect(tokenizer.encode("Hi").first != 1)
        #expect(tokenizer.encode("Hi", addBOS: true).first == 1)
        #expect(tokenizer.decode([2, 504], skipSpecial: true) == "The")
        #expect(tokenizer.decode([-1, Int32(tokenizer.vocabSize)]) == "\u{FFFD}\u{FFFD}")
    }

    @Test func concurrentEncodingSharesTheCacheSafely() async throws {
        let tokenizer = try smolLM2()
        let cases = self.cases
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var bad = 0
                    for (i, c) in cases.enumerated() where i % 4 == worker || i % 3 == 0 {
                        if tokenizer.encode(c.text) != c.ids { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test func encodesAMegabyteQuickly() throws {
        let tokenizer = try smolLM2()
        var text = ""
        var i = 0
        while text.utf8.count < 1_000_000 {
            text += TokenizerGoldens.expectedText(cases[i % cases.count]) + " \(i) "
            i += 1
        }
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text, parseSpecial: false) }
        #expect(tokenizer.decode(ids) == text)
        // Debug builds are several times slower than release; minutes would mean a quadratic path somewhere.
        #expect(elapsed < .seconds(30), "encoding 1 MB took \(elapsed)")
    }

    @Test func longSinglePiecesAreNotQuadratic() throws {
        let tokenizer = try smolLM2()
        // One pre-tokenized piece each: the merge loop must not be quadratic in the piece length.
        for text in [String(repeating: "a", count: 300_000), String(repeating: "的", count: 100_000),
                     String(repeating: " ", count: 300_000), String(repeating: "=-", count: 150_000)] {
            let clock = ContinuousClock()
            var ids: [Int32] = []
            let elapsed = clock.measure { ids = tokenizer.encode(text) }
            #expect(ids.count <= text.utf8.count / 2, "merges should at least pair up the repeated characters")
            #expect(tokenizer.decode(ids) == text)
            #expect(elapsed < .seconds(20), "\(text.utf8.count) bytes of \(TokenizerGoldens.show(String(text.prefix(2)))) took \(elapsed)")
        }
    }

    /// The SmolLM2 tokenizer.json that scripts/reference/make_hf_checkpoint.py writes next to the HF weights.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: Fixtures.smolLM2HFFolder + "/tokenizer.json"),
                   "needs models/SmolLM2-135M-Instruct-hf/tokenizer.json from scripts/setup.sh"))
    func smolLM2TokenizerJSONMatchesGGUF() throws {
        let fromJSON = try BPETokenizer(tokenizerJSONFile: Fixtures.smolLM2HFFolder + "/tokenizer.json")
        #expect(fromJSON.eosID == 2)
        #expect(fromJSON.preTokenizerKind == .smollm, "the HF folder's tokenizer.json lacks SmolLM2's Digits pre-tokenizer; re-run scripts/setup.sh")
        var mismatches = 0
        for c in cases where fromJSON.encode(c.text) != c.ids { mismatches += 1 }
        #expect(mismatches == 0, "\(mismatches) of \(cases.count) strings differ from the GGUF tokenizer's golden ids")
    }
}
