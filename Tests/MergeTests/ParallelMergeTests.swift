// The export path without the cache: tensors merged on several threads, large ones in slices read in place, written
// where they go. It must give the same bytes as the in-order path.
import Foundation
import Testing
import Inference
import Quant
@testable import Merge

@Suite struct ParallelMergeTests {
    let dir: URL
    let base = TinyModel(seed: 70)

    init() throws { dir = try MergeLoadFixtures.temporaryDirectory() }

    /// linear over three full HF checkpoints: every input is f32 safetensors, so slices apply.
    func linearEngine() throws -> MergeEngine {
        let basePath = try base.writeHF(to: dir.appendingPathComponent("base"))
        let models = try (71...73).map { seed in
            PlannedModel(path: try base.fineTune(seed: UInt64(seed)).writeHF(to: dir.appendingPathComponent("ft-\(seed)")),
                         weight: Double(seed - 70))
        }
        return try MergeEngine(plan: MergePlan(base: basePath, donors: Array(models.dropFirst()), untrusted: models[0],
                                               method: "linear"))
    }

    @Test func slicesEqualWholeTensors() throws {
        let engine = try linearEngine()
        #expect(engine.slicesInPlace)
        let collected = Collected(engine.tensors)
        // 5 entries per slice, read 2 at a time: every tensor of the tiny model is cut, most with short last parts.
        try engine.mergeAllTensors(parallelism: 2, progress: nil, sliceElements: 5, readElements: 2) { index, first, values in
            collected.store(index, first, values)
        }
        for (i, tensor) in engine.tensors.enumerated() {
            let whole = try engine.mergeTensor(tensor.name)
            withExtendedLifetime(whole) { #expect(collected.values[i] == Array(whole.readOnly), "\(tensor.name)") }
        }
    }

    @Test func exportEqualsTheInOrderWriter() throws {
        let engine = try linearEngine()
        for dtype in MergeOutputDType.allCases {
            let parallel = dir.appendingPathComponent("parallel-\(dtype)")
            let inOrder = dir.appendingPathComponent("in-order-\(dtype)")
            try MergeExport.writeHF(engine: engine, to: parallel.path, dtype: dtype)
            // With a cache the tensors go through the streaming writer in plan order.
            let cache = try MergeCache(directory: dir.appendingPathComponent("cache-\(dtype)").path)
            try MergeExport.writeHF(engine: engine, to: inOrder.path, dtype: dtype, cache: cache)
            let a = try Data(contentsOf: parallel.appendingPathComponent("model.safetensors"))
            let b = try Data(contentsOf: inOrder.appendingPathComponent("model.safetensors"))
            #expect(a == b, "\(dtype)")
        }
    }

    @Test func firstFailureInPlanOrderIsReported() throws {
        let engine = try linearEngine()
        let failing: Set<Int> = [3, 9]
        #expect(throws: Marker(index: 3)) {
            try engine.mergeAllTensors(parallelism: 2, progress: nil, sliceElements: 5, readElements: 2) { index, _, _ in
                if failing.contains(index) { throw Marker(index: index) }
            }
        }
    }

    struct Marker: Error, Equatable { let index: Int }

    final class Collected: @unchecked Sendable {
        // @unchecked Sendable: writers store disjoint slices, under `lock` anyway.
        private let lock = NSLock()
        var values: [[Float]]
        init(_ tensors: [PlannedTensor]) { values = tensors.map { [Float](repeating: .nan, count: $0.elementCount) } }
        func store(_ index: Int, _ first: Int, _ slice: UnsafeBufferPointer<Float>) {
            lock.lock()
            defer { lock.unlock() }
            for (j, v) in slice.enumerated() { values[index][first + j] = v }
        }
    }
}
