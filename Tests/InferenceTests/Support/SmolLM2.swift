// The default model loaded once for every test that needs it (f32 reference path), with a clear failure when absent.
import Foundation
import Testing
@testable import Inference

enum SmolLM2 {
    /// Loading dequantizes 135M weights; every suite shares one copy.
    static let loaded: Result<LlamaModel, Error> = Result { try load(linear: LlamaWeights.f32Linear) }

    static func model() throws -> LlamaModel { try loaded.get() }

    /// The default GGUF with `linear` layers (f32 reference or int8).
    static func load(linear: @escaping LlamaWeights.LinearBuilder) throws -> LlamaModel {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF) else {
            throw FixtureError.missing(Fixtures.smolLM2GGUF)
        }
        let gguf = try GGUFFile(path: Fixtures.smolLM2GGUF)
        let config = try ModelConfig(gguf: gguf)
        return LlamaModel(weights: try LlamaWeights(source: gguf, naming: .gguf, config: config, linear: linear))
    }
}

enum FixtureError: Error, CustomStringConvertible {
    case missing(String)
    var description: String { "\(FixtureError.self): \(self) — run scripts/setup.sh to fetch the default model" }
}
