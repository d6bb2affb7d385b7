// The default model with int8 linear layers (load-time quantization), loaded once for the int8 tests.
@testable import Inference

enum SmolLM2Int8 {
    static let loaded: Result<LlamaModel, Error> = Result { try SmolLM2.load(linear: LlamaWeights.int8Linear) }

    static func model() throws -> LlamaModel { try loaded.get() }
}
