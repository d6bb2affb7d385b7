// Our methods against mergekit's output on tiny Llama checkpoints (Tests/Fixtures/merge).
import Foundation
import Testing
@testable import Merge

/// float32 rounding differs from torch's in summation order and in our Double norms, by ~1e-7 here.
let goldenTolerance: Float = 1e-6

/// Cases whose masks are random (density < 1): checked statistically in DropRescaleTests instead.
let randomCases: Set<String> = ["dare_linear_d05", "della_linear_d05"]

@Suite("mergekit goldens")
struct MergeGoldenTests {
    static let fixture = Result { try MergeFixture.load() }

    static var deterministicCases: [String] {
        ((try? fixture.get().manifest.cases.keys.sorted()) ?? []).filter { !randomCases.contains($0) }
    }

    @Test("matches mergekit tensor by tensor", arguments: deterministicCases)
    func matchesMergekit(_ caseName: String) throws {
        let fixture = try Self.fixture.get()
        let golden = try #require(fixture.manifest.cases[caseName])
        let settings = try fixture.settings(for: golden.config)
        let expected = try MergeFixture.readFloats(golden.output)
        var worst: Float = 0
        for entry in fixture.manifest.tensors {
            let ours = try fixture.merge(settings, entry)
            let diff = maxAbsDiff(ours, MergeFixture.slice(expected, entry))
            #expect(diff <= goldenTolerance, "\(caseName) \(entry.name): max abs diff \(diff)")
            worst = max(worst, diff)
        }
        print("golden \(caseName) (\(golden.config.merge_method)): max abs diff \(worst)")
    }

    @Test("the fixture covers every mergekit method")
    func coversEveryMethod() throws {
        let fixture = try Self.fixture.get()
        let used = Set(fixture.manifest.cases.values.map(\.config.merge_method))
        #expect(used == Set(MergeMethods.mergekit.map { $0.name }))
        #expect(fixture.manifest.cases.count == Self.deterministicCases.count + randomCases.count)
    }
}
