// The default model with int8 linear layers (load-time quantization), loaded once for the int8 tests.
import Foundation
@testable import Inference

enum SmolLM2Int8 {
    static let loaded: Result<LlamaModel, Error> = Result {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF) else {
            throw FixtureError.missing(Fixtures.smolLM2GGUF)
        }
        let gguf = try GGUFFile(path: Fixtures.smolLM2GGUF)
        let config = try ModelConfig(gguf: gguf)
        return LlamaModel(weights: try LlamaWeights(source: gguf, naming: .gguf, config: config, linear: LlamaWeights.int8Linear))
    }

    static func model() throws -> LlamaModel { try loaded.get() }
}
