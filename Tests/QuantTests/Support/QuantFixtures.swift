// Where QuantTests find committed fixtures (Tests/Fixtures); QuantTests cannot see InferenceTests' `Fixtures`.
import Foundation

enum QuantFixtures {
    /// The repository root, found from this file's location (Tests/QuantTests/Support/) so tests run from any directory.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let directory = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    static func data(_ relativePath: String) throws -> Data { try Data(contentsOf: url(relativePath)) }
}
