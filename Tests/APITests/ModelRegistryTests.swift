// models.json parsing: defaults, relative paths, and errors that name the field path.
import Foundation
import TestSupport
import Testing
@testable import API

struct ModelRegistryTests {
    /// A folder with a fake base and two donors (the registry checks paths exist, not what they hold).
    static func folder() throws -> URL {
        let dir = try ScratchDirectory.make(prefix: "mergeguard-registry")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("donors/a"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("donors/b"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("suspect"), withIntermediateDirectories: true)
        try Data("GGUF".utf8).write(to: dir.appendingPathComponent("base.gguf"))
        return dir
    }

    static func parse(_ json: String, in dir: URL) throws(RegistryError) -> ModelRegistry {
        try ModelRegistry.parse(Data(json.utf8), file: dir.appendingPathComponent("models.json").path)
    }

    static let valid = """
    {
      "server": {"host": "127.0.0.1", "port": 8099, "api_keys": ["k1"], "memory_budget_mb": 2048, "cache_dir": "cache"},
      "families": {
        "smol": {"base": "base.gguf", "donors": ["donors/a", {"path": "donors/b", "weight": 0.5}],
                 "merge": {"method": "ties", "parameters": {"density": 0.2, "weight": [1, 0.5], "normalize": true}}}
      },
      "models": {
        "zeta-base": {"family": "smol", "trusted": true},
        "alpha-suspect": {"family": "smol", "path": "suspect", "weight": 2}
      }
    }
    """

    @Test func parsesEveryFieldWithPathsRelativeToTheFile() throws {
        let dir = try Self.folder()
        let r = try Self.parse(Self.valid, in: dir)
        #expect(r.server.port == 8099 && r.server.apiKeys == ["k1"] && r.server.memoryBudgetMB == 2048)
        #expect(r.server.cacheDirectory == dir.appendingPathComponent("cache").standardizedFileURL.path)
        let family = try #require(r.families["smol"])
        #expect(family.base == dir.appendingPathComponent("base.gguf").standardizedFileURL.path)
        #expect(family.donors.map(\.weight) == [1, 0.5])
        #expect(family.donors[1].field == "families.smol.donors[1]")
        #expect(family.merge.method == "ties")
        #expect(family.merge.parameters["density"] == .number(0.2))
        #expect(family.merge.parameters["weight"] == .list([1, 0.5]))
        #expect(family.merge.parameters["normalize"] == .bool(true))
        // Models keep the file's order; the untrusted one inherits the family recipe; trusted defaults to false.
        #expect(r.modelOrder == ["zeta-base", "alpha-suspect"])
        #expect(r.models["zeta-base"]?.path == nil && r.models["zeta-base"]?.trusted == true)
        #expect(r.models["alpha-suspect"]?.trusted == false && r.models["alpha-suspect"]?.weight == 2)
        #expect(r.models["alpha-suspect"]?.merge.method == "ties")
    }

    /// Each bad input names its field path in the error.
    @Test(arguments: [
        ("\"port\": 8099", "\"port\": 70000", "server.port"),
        ("\"donors/b\", \"weight\": 0.5", "\"donors/b\", \"weight\": 0", "families.smol.donors[1].weight"),
        ("\"donors/b\", \"weight\": 0.5", "\"donors/missing\", \"weight\": 0.5", "families.smol.donors[1].path"),
        ("\"family\": \"smol\", \"path\"", "\"family\": \"nope\", \"path\"", "models.alpha-suspect.family"),
        ("\"method\": \"ties\"", "\"methd\": \"ties\"", "families.smol.merge.methd"),
        ("\"api_keys\": [\"k1\"]", "\"api_keys\": [1]", "server.api_keys"),
        ("\"trusted\": true", "\"trusted\": \"yes\"", "models.zeta-base.trusted"),
    ])
    func errorsNameTheField(original: String, replacement: String, field: String) throws {
        let dir = try Self.folder()
        let json = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(json != Self.valid)
        do {
            _ = try Self.parse(json, in: dir)
            Issue.record("expected an error naming \(field)")
        } catch {
            guard case .invalid(_, let got, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(got == field, "\(error)")
            #expect(error.description.contains(field))
        }
    }

    @Test func untrustedModelWithoutDonorsIsRefused() throws {
        let dir = try Self.folder()
        let json = """
        {"families": {"f": {"base": "base.gguf"}}, "models": {"m": {"family": "f", "path": "suspect"}}}
        """
        #expect(throws: RegistryError.self) { try Self.parse(json, in: dir) }
        do { _ = try Self.parse(json, in: dir) } catch {
            #expect(error.description.contains("models.m.trusted") && error.description.contains("no donors"))
        }
    }

    @Test func malformedJSONIsReportedWithTheFile() throws {
        let dir = try Self.folder()
        do {
            _ = try Self.parse("{\"families\": ", in: dir)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("models.json") && error.description.contains("not valid JSON"))
        }
    }
}
