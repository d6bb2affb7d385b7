// The split scanners piece by piece, on strings whose pieces were printed by the reference `tokenizers` pre-tokenizers
// (Split with each family's regex, isolated; Digits(individual_digits) first for SmolLM2).
import Testing
@testable import Inference

@Suite struct TokenizerPreTokenizerTests {
    private func pieces(_ text: String, _ kind: PreTokenizerKind) -> [String] {
        let bytes = Array(text.utf8)
        var out: [String] = []
        PreTokenizer(kind: kind, addPrefixSpace: false).split(bytes, 0..<bytes.count) {
            out.append(String(decoding: bytes[$0], as: UTF8.self))
        }
        return out
    }

    @Test func spacesContractionsAndNumbers() {
        let text = "Hello  world's 123\n\n x"
        #expect(pieces(text, .gpt2) == ["Hello", " ", " world", "'s", " 123", "\n\n", " x"])
        #expect(pieces(text, .smollm) == ["Hello", " ", " world", "'s", " ", "1", "2", "3", "\n\n", " x"])
        #expect(pieces(text, .llama3) == ["Hello", " ", " world", "'s", " ", "123", "\n\n", " x"])
    }

    @Test func caseTabsPunctuationAndLineBreaks() {
        let text = "I'LL\tgo (now)!!\r\n\r\n  ok"
        let gpt2 = ["I", "'", "LL", "\t", "go", " (", "now", ")!!", "\r\n\r\n ", " ok"]
        #expect(pieces(text, .gpt2) == gpt2)
        #expect(pieces(text, .smollm) == gpt2)
        #expect(pieces(text, .llama3) == ["I", "'LL", "\tgo", " (", "now", ")!!\r\n\r\n", " ", " ok"])
    }

    @Test func nonASCIIDigits() {
        let text = "x1.5e10 \u{663}"
        #expect(pieces(text, .gpt2) == ["x", "1", ".", "5", "e", "10", " \u{663}"])
        #expect(pieces(text, .smollm) == ["x", "1", ".", "5", "e", "1", "0", " ", "\u{663}"])
        #expect(pieces(text, .llama3) == ["x", "1", ".", "5", "e", "10", " ", "\u{663}"])
    }

    @Test func piecesCoverTheTextExactly() {
        let text = "a\u{301} 👨‍👩‍👧 \u{a0}\u{3000}x\u{2028}y 'll"
        for kind in [PreTokenizerKind.gpt2, .smollm, .llama3] {
            #expect(pieces(text, kind).joined() == text, "\(kind)")
            #expect(!pieces(text, kind).contains(""), "\(kind)")
        }
    }

    @Test func scalarClassesFollowUnicode() {
        #expect(ScalarClass("é") == .letter)
        #expect(ScalarClass("\u{663}") == .number)
        #expect(ScalarClass("½") == .number)
        #expect(ScalarClass("\u{a0}") == .whitespace)
        #expect(ScalarClass("\u{3000}") == .whitespace)
        #expect(ScalarClass("\u{301}") == .other)
        #expect(ScalarClass("\u{200b}") == .other)
        #expect(ScalarClass("😀") == .other)
    }
}
