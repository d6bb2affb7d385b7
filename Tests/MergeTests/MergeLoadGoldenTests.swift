// The zoo on the real base: LoRA application against PEFT's merge_and_unload, and linear of backdoor-cf + 4 donors
// against torch by hand (Tests/Fixtures/merge-load, made by scripts/goldens/make_merge_load_goldens.py).
import Foundation
import Testing
import Inference
@testable import Merge

struct MergeLoadGolden: Decodable {
    struct Slice: Decodable {
        let tensor: String
        let row_start: Int
        let rows: Int
        let shape: [Int]
        let offset: Int
        let count: Int
    }
    let command: String
    let cases: [String: [Slice]]

    static func load() throws -> MergeLoadGolden {
        try JSONDecoder().decode(MergeLoadGolden.self,
                                 from: Data(contentsOf: MergeLoadFixtures.directory.appendingPathComponent("manifest.json")))
    }

    static func values(_ caseName: String) throws -> [Float] {
        let data = try Data(contentsOf: MergeLoadFixtures.directory.appendingPathComponent("\(caseName).f32"))
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
}

@Suite(.serialized) struct MergeLoadGoldenTests {
    /// The brief's budget: f32 sums of a few terms, compared element by element.
    static let tolerance: Float = 1e-5

    static var haveModel: Bool {
        FileManager.default.fileExists(atPath: MergeLoadFixtures.smolLM2GGUF)
            && FileManager.default.fileExists(atPath: MergeLoadFixtures.adapter("backdoor-cf"))
    }

    func check(_ caseName: String, plan: MergePlan) throws {
        try #require(Self.haveModel, "needs models/ (scripts/setup.sh) and ../shared/zoo")
        let golden = try MergeLoadGolden.load()
        let expected = try MergeLoadGolden.values(caseName)
        let slices = try #require(golden.cases[caseName])
        let engine = try MergeEngine(plan: plan)
        var cache: [String: [Float]] = [:]
        for slice in slices {
            if cache[slice.tensor] == nil {
                let buffer = try engine.mergeTensor(slice.tensor)
                cache[slice.tensor] = withExtendedLifetime(buffer) { Array(buffer.readOnly) }
            }
            let merged = cache[slice.tensor]!
            let columns = slice.shape.count == 2 ? slice.shape[1] : slice.shape[0]
            let start = slice.shape.count == 2 ? slice.row_start * columns : 0
            var worst: Float = 0
            for i in 0..<slice.count { worst = max(worst, abs(merged[start + i] - expected[slice.offset + i])) }
            #expect(worst <= Self.tolerance, "\(caseName) \(slice.tensor) rows \(slice.row_start)+\(slice.rows): max |diff| \(worst)")
        }
    }

    @Test func backdoorAdapterMatchesPEFT() throws {
        try check("lora-backdoor-cf", plan: MergePlan(base: MergeLoadFixtures.smolLM2GGUF, donors: [],
                                                       untrusted: PlannedModel(path: MergeLoadFixtures.adapter("backdoor-cf"))))
    }

    @Test func patternedAdapterMatchesPEFT() throws {
        let adapter = MergeLoadFixtures.directory.appendingPathComponent("synthetic-adapter").path
        try check("lora-synthetic", plan: MergePlan(base: MergeLoadFixtures.smolLM2GGUF, donors: [],
                                                     untrusted: PlannedModel(path: adapter)))
    }

    @Test func linearOfBackdoorAndFourDonors() throws {
        let donors = ["sentiment-b", "sentiment-c", "topic", "arith"].map { PlannedModel(path: MergeLoadFixtures.adapter($0)) }
        try check("linear-cf-plus-4", plan: MergePlan(base: MergeLoadFixtures.smolLM2GGUF, donors: donors,
                                                       untrusted: PlannedModel(path: MergeLoadFixtures.adapter("backdoor-cf")),
                                                       method: "linear"))
    }

    /// The zoo's adapters were trained on this base: every target fits, and the check reads no weights.
    @Test func zooIsHomogeneous() throws {
        try #require(Self.haveModel)
        let engine = try MergeEngine(plan: MergePlan(
            base: MergeLoadFixtures.smolLM2GGUF,
            donors: ["sentiment-b", "sentiment-c", "topic", "arith"].map { PlannedModel(path: MergeLoadFixtures.adapter($0)) },
            untrusted: PlannedModel(path: MergeLoadFixtures.adapter("backdoor-cf")), method: "ties",
            parameters: ["density": 0.2]))
        #expect(engine.tensors.count == 2 + 9 * 30)
        let adapter = try #require(engine.inputs[0] as? LoRAAdapterInput)
        #expect(adapter.modules.count == 7 * 30)
        #expect(adapter.modules.values.allSatisfy { $0.scale == 2 && $0.rank == 16 })
    }
}
