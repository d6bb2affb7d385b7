// Reads Tests/Fixtures/merge (made by scripts/goldens/make_merge_fixture.py): a JSON manifest and raw f32 files.
import Foundation
@testable import Merge

struct MergeFixture {
    struct TensorEntry: Decodable {
        let name: String
        let shape: [Int]
        let offset: Int
        var count: Int { shape.reduce(1, *) }
    }

    /// A mergekit parameter setting as the script wrote it: a number, a flag or a list of numbers.
    enum Setting: Decodable {
        case value(ParameterValue)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                self = .value(.flag(b))
            } else if let x = try? c.decode(Double.self) {
                self = .value(.number(x))
            } else {
                self = .value(.gradient(try c.decode([Double].self)))
            }
        }

        var parameter: ParameterValue { switch self { case .value(let v): v } }
    }

    struct ModelEntry: Decodable {
        let model: String
        let parameters: [String: Setting]?
    }

    struct CaseConfig: Decodable {
        let merge_method: String
        let base_model: String?
        let parameters: [String: Setting]?
        let models: [ModelEntry]
    }

    struct Case: Decodable {
        let config: CaseConfig
        let output: String
    }

    struct Manifest: Decodable {
        let layer_count: Int
        let mergekit: String
        let tensors: [TensorEntry]
        let models: [String: String]
        let cases: [String: Case]
    }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/merge")

    let manifest: Manifest
    private let inputs: [String: [Float]]

    static func load() throws -> MergeFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)
        var inputs: [String: [Float]] = [:]
        for (model, file) in manifest.models { inputs[model] = try readFloats(file) }
        return MergeFixture(manifest: manifest, inputs: inputs)
    }

    /// Little-endian f32, the only platform we build on.
    static func readFloats(_ relativePath: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(relativePath))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func tensor(_ model: String, _ entry: TensorEntry) -> [Float] {
        Array(inputs[model]![entry.offset..<(entry.offset + entry.count)])
    }

    static func slice(_ all: [Float], _ entry: TensorEntry) -> [Float] {
        Array(all[entry.offset..<(entry.offset + entry.count)])
    }

    func settings(for config: CaseConfig) throws -> MergeSettings {
        try MergeSettings(
            method: config.merge_method, baseModel: config.base_model,
            models: config.models.map { ModelSettings(name: $0.model, parameters: ($0.parameters ?? [:]).mapValues(\.parameter)) },
            parameters: (config.parameters ?? [:]).mapValues(\.parameter))
    }

    /// Our merge of one tensor under `settings`, models read from the fixture.
    func merge(_ settings: MergeSettings, _ entry: TensorEntry, seed: UInt64 = 0) throws -> [Float] {
        let base = settings.baseModel.map { tensor($0, entry) }
        let models = settings.models.map { tensor($0.name, entry) }
        var output = [Float](repeating: .nan, count: entry.count)
        try withBuffers(models) { buffers in
            try withOptionalBuffer(base) { baseBuffer in
                let inputs = try TensorMergeInputs(name: entry.name, shape: entry.shape, base: baseBuffer, models: buffers)
                try output.withUnsafeMutableBufferPointer {
                    try settings.mergeTensor(inputs, position: .of(tensor: entry.name, layerCount: manifest.layer_count),
                                             seed: seed, into: $0)
                }
            }
        }
        return output
    }
}

/// Lends every array as an UnsafeBufferPointer for the duration of `body`.
func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R {
    func go(_ index: Int, _ acc: [UnsafeBufferPointer<Float>]) throws -> R {
        if index == arrays.count { return try body(acc) }
        return try arrays[index].withUnsafeBufferPointer { try go(index + 1, acc + [$0]) }
    }
    return try go(0, [])
}

func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafeBufferPointer<Float>?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { try body($0) }
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i]).isNaN ? .infinity : abs(a[i] - b[i])) }
    return m
}
