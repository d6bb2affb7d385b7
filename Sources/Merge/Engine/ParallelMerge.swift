// Merging every tensor on a few threads, each handing its finished tensors to a thread-safe consumer in any order.
import Foundation
import Inference
import Quant

extension MergeEngine {
    /// Entries per slice when tensors are merged in slices (4 MiB of output, one pwrite).
    static let sliceElements = 1 << 20
    /// Entries read from each input at a time within a slice: 256 KiB per input, so what pread brings in is still
    /// in the core's cache when the finiteness check and the method read it.
    static let readElements = 1 << 16

    /// Merges every tensor on `parallelism` threads and calls `body` (from those threads, concurrently) with the
    /// tensor's index, the index of the first entry given, and merged values that are valid only during the call.
    /// Work is taken in plan order; with `slicesInPlace`, tensors come in slices of `sliceElements` (read
    /// `readElements` at a time) so that the embedding (a fifth of SmolLM2) does not leave one thread merging it
    /// alone at the end. Each thread keeps its buffers from tensor to
    /// tensor. The first error in plan order stops every thread and is rethrown.
    func mergeAllTensors(parallelism: Int, progress: MergeProgressHandler?, sliceElements: Int = sliceElements,
                         readElements: Int = readElements,
                         _ body: @escaping @Sendable (_ tensor: Int, _ firstEntry: Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let tensors = self.tensors
        var units: [(tensor: Int, slice: Range<Int>?)] = []
        let slices = slicesInPlace
        for (i, tensor) in tensors.enumerated() {
            let count = tensor.elementCount
            guard slices else { units.append((i, nil)); continue }
            for start in stride(from: 0, to: count, by: sliceElements) {
                units.append((i, start..<min(count, start + sliceElements)))
            }
        }
        let work = units
        let state = ParallelMergeState(units: units.map(\.tensor), tensors: tensors, totalBytes: totalBytes, progress: progress)
        DispatchQueue.concurrentPerform(iterations: max(1, min(parallelism, units.count))) { _ in
            let scratch = MergeScratch()
            // Slot 0 of the scratch is the base's, 1... the inputs'; the output takes the slot after them.
            let outputSlot = inputs.count + 1
            while let u = state.claim() {
                let (i, slice) = work[u]
                do {
                    let output = scratch.buffer(outputSlot, count: slice?.count ?? tensors[i].elementCount)
                    if let slice {
                        for start in stride(from: slice.lowerBound, to: slice.upperBound, by: readElements) {
                            let part = start..<min(slice.upperBound, start + readElements)
                            let at = part.lowerBound - slice.lowerBound
                            try mergeTensor(tensors[i].name, slice: part,
                                            into: UnsafeMutableBufferPointer(rebasing: output[at..<(at + part.count)]), scratch: scratch)
                        }
                    } else {
                        try mergeTensor(tensors[i].name, slice: nil, into: output, scratch: scratch)
                    }
                    try body(i, slice?.lowerBound ?? 0, UnsafeBufferPointer(output))
                    state.finished(u)
                } catch {
                    state.fail(error, at: u)
                }
            }
        }
        if let error = state.error { throw error }
    }

    /// Whether every tensor can be merged in slices: the method is elementwise and every input it reads is an f32
    /// checkpoint read with pread (a decoded input would be decoded whole for every slice).
    var slicesInPlace: Bool {
        guard type(of: settings.method).elementwise else { return false }
        var read = inputs
        if type(of: settings.method).basePolicy == .required { read.append(base) }
        return read.allSatisfy { input in
            guard let checkpoint = input as? CheckpointInput else { return false }
            return tensors.allSatisfy { checkpoint.readsSlices($0.name) && checkpoint.tensorShapes[$0.name] == $0.shape }
        }
    }
}

/// The shared counters of `mergeAllTensors`.
private final class ParallelMergeState: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is read and written only while holding `lock`.
    private let lock = NSLock()
    private let unitTensors: [Int]
    private let tensors: [PlannedTensor]
    private let totalBytes: Int
    private let progress: MergeProgressHandler?
    private var next = 0
    /// Slices of each tensor not merged yet.
    private var remaining: [Int]
    private var tensorsDone = 0
    private var bytesDone = 0
    private var failure: (unit: Int, error: Error)?

    init(units: [Int], tensors: [PlannedTensor], totalBytes: Int, progress: MergeProgressHandler?) {
        unitTensors = units
        self.tensors = tensors
        self.totalBytes = totalBytes
        self.progress = progress
        remaining = [Int](repeating: 0, count: tensors.count)
        for t in units { remaining[t] += 1 }
    }

    /// The failure earliest in plan order: every unit before the first failure has been taken and finishes, so this
    /// is the error a merge in order would have stopped at.
    var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return failure?.error
    }

    /// The next unit to merge, or nil when all are taken or one has failed.
    func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil, next < unitTensors.count else { return nil }
        next += 1
        return next - 1
    }

    func finished(_ unit: Int) {
        lock.lock()
        defer { lock.unlock() }
        let t = unitTensors[unit]
        remaining[t] -= 1
        guard remaining[t] == 0 else { return }
        tensorsDone += 1
        bytesDone += tensors[t].elementCount * 4
        progress?(MergeProgress(tensorIndex: tensorsDone, tensorCount: tensors.count, tensorName: tensors[t].name,
                                bytesDone: bytesDone, bytesTotal: totalBytes))
    }

    func fail(_ error: Error, at unit: Int) {
        lock.lock()
        defer { lock.unlock() }
        if unit < failure?.unit ?? Int.max { failure = (unit, error) }
    }
}
