// The default model with int8 linear layers (load-time quantization), loaded once for the int8 tests.
import Foundation
@testable import Inference

enum SmolLM2Int8 {
    /// With its tokenizer and chat template (the model as the server runs it); the int8 tests share this one copy,
    /// so the load-time quantization runs once.
    static let chat: Result<ChatModel, Error> = Result {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF) else {
            throw FixtureError.missing(Fixtures.smolLM2GGUF)
        }
        return try ChatModel.load(path: Fixtures.smolLM2GGUF, linear: LlamaWeights.int8Linear)
    }
    static let loaded: Result<LlamaModel, Error> = chat.map(\.model)

    static func model() throws -> LlamaModel { try loaded.get() }
}
