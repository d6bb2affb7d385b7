// Where tests find committed fixtures (Tests/Fixtures) and the set-up's downloaded model (models/).
import Foundation
import TestSupport

enum Fixtures {
    /// The repository root, found from this file's location so tests run from any working directory.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let directory = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    static func data(_ relativePath: String) throws -> Data { try Data(contentsOf: url(relativePath)) }

    /// The default model as fetched by scripts/setup.sh; tests that need it fail with a clear message when absent.
    static let smolLM2GGUF = repositoryRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path

    /// The same weights as an HF folder (config.json + model.safetensors + tokenizer files), made by the set-up.
    static let smolLM2HFFolder = repositoryRoot.appendingPathComponent("models/SmolLM2-135M-Instruct-hf").path

    /// A scratch directory unique to one test, removed when the test process exits.
    static func temporaryDirectory() throws -> URL { try ScratchDirectory.make(prefix: "mergeguard-test") }
}
