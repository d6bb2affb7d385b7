// The tokenizer golden files in Tests/Fixtures/tokenizer (made by scripts/goldens/make_tokenizer_fixture.py).
import Foundation
@testable import Inference

struct TokenizerGoldenCase: Decodable {
    let text: String
    let ids: [Int32]
    /// Present only when the reference's decode differs from `text` (bytes the vocabulary has no token for are dropped).
    let decoded: String?
    /// Present when the text spells special tokens: the reference's decode with skip_special_tokens.
    let decodedSkipSpecial: String?
    /// Present when the text spells special tokens: the ids when they are tokenized as plain text.
    let idsNoSpecial: [Int32]?
    /// The ids with a plain GPT-2 ByteLevel pre-tokenizer instead of Digits + ByteLevel (in smollm2.json only
    /// where they differ from `ids`).
    let gpt2Ids: [Int32]?
    /// The ids with Llama-3's Split regex and ignore_merges (tiny_bpe_llama3.json; in smollm2.json only where
    /// they differ from `ids`).
    let llama3Ids: [Int32]?

    enum CodingKeys: String, CodingKey {
        case text, ids, decoded
        case decodedSkipSpecial = "decoded_skip_special"
        case idsNoSpecial = "ids_no_special"
        case gpt2Ids = "gpt2_ids"
        case llama3Ids = "llama3_ids"
    }
}

struct TokenizerGoldenFile: Decodable {
    let cases: [TokenizerGoldenCase]
}

enum TokenizerGoldens {
    static func load(_ name: String) throws -> [TokenizerGoldenCase] {
        try JSONDecoder().decode(TokenizerGoldenFile.self, from: Fixtures.data("tokenizer/\(name)")).cases
    }

    /// The default GGUF's metadata, read once for all tests.
    static let smolLM2Metadata: Result<[String: GGUFValue], any Error> = Result {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF) else {
            throw MissingModel(path: Fixtures.smolLM2GGUF)
        }
        return try GGUFFile(path: Fixtures.smolLM2GGUF).metadata
    }

    /// SmolLM2 from the default GGUF, built once for all tests.
    static let smolLM2: Result<BPETokenizer, any Error> = Result {
        try BPETokenizer(ggufMetadata: smolLM2Metadata.get(), file: Fixtures.smolLM2GGUF)
    }

    struct MissingModel: Error, CustomStringConvertible {
        let path: String
        var description: String { "the default model is missing at \(path); run scripts/setup.sh --model-only" }
    }

    /// The UTF-8 of a string, for comparisons that must not treat canonically equivalent strings as equal.
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// What decoding the golden ids must give back.
    static func expectedText(_ c: TokenizerGoldenCase) -> String { c.decoded ?? c.text }

    /// A readable form of a failing string.
    static func show(_ s: String) -> String {
        s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
    }
}
