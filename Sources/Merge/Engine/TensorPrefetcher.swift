// Runs a per-tensor job on a few worker threads a bounded distance ahead of a consumer that takes results in order.
import Foundation
import Quant

/// The consumer (a `LlamaWeights` provider, an exporter) asks for tensors in the plan's order; workers merge the
/// next ones meanwhile. At most `window` results wait, so memory stays at `window` tensors' scratch.
final class TensorPrefetcher: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is read and written only while holding `condition`.
    private let count: Int
    private let window: Int
    private let job: @Sendable (Int) throws -> AlignedBuffer<Float>
    private let condition = NSCondition()
    private var nextToStart = 0
    private var nextToTake = 0
    private var results: [Int: Result<AlignedBuffer<Float>, Error>] = [:]
    private var cancelled = false

    init(count: Int, workers: Int, window: Int, job: @escaping @Sendable (Int) throws -> AlignedBuffer<Float>) {
        self.count = count
        self.window = max(1, window)
        self.job = job
        for _ in 0..<max(1, min(workers, count)) {
            let thread = Thread { [self] in work() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while !cancelled && nextToStart < count && nextToStart - nextToTake >= window { condition.wait() }
            if cancelled || nextToStart >= count {
                condition.unlock()
                return
            }
            let index = nextToStart
            nextToStart += 1
            condition.unlock()
            let result = Result { try job(index) }
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The result for `index`, which must be the next one in order. Blocks until a worker has it.
    func take(_ index: Int) throws -> AlignedBuffer<Float> {
        condition.lock()
        defer { condition.unlock() }
        precondition(index == nextToTake, "TensorPrefetcher: tensors must be taken in order")
        while results[index] == nil { condition.wait() }
        let result = results.removeValue(forKey: index)!
        nextToTake += 1
        condition.broadcast()
        return try result.get()
    }

    var nextIndex: Int {
        condition.lock()
        defer { condition.unlock() }
        return nextToTake
    }

    /// Stops the workers after their current tensor and drops waiting results.
    func cancel() {
        condition.lock()
        cancelled = true
        results.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
