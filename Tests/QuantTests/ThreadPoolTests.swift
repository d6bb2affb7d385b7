// The persistent pool: every task index runs exactly once per call, and threaded int8 products equal single-threaded ones.
import Synchronization
import Testing
@testable import Quant

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3])
    func everyTaskRunsOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        defer { pool.shutdown() }
        for tasks in [1, 2, 5, 64, 1000] {
            for _ in 0..<20 {
                // Each task owns its slot, so the plain increments do not race unless a task runs twice.
                let counts = AlignedBuffer<Int>(count: tasks)
                let calls = CallCounter()
                pool.parallelFor(tasks: tasks) { t in
                    counts[t] += 1
                    calls.total.add(1, ordering: .relaxed)
                }
                #expect(counts.readOnly.allSatisfy { $0 == 1 }, "\(threads) threads, \(tasks) tasks")
                #expect(calls.total.load(ordering: .relaxed) == tasks)
            }
        }
    }

    @Test func threadCountComesFromTheEnvironmentOrTheProcessors() {
        #expect(ThreadPool.defaultThreadCount(environment: [:], processors: 8) == 8)
        #expect(ThreadPool.defaultThreadCount(environment: ["MERGEGUARD_THREADS": "3"], processors: 8) == 3)
        #expect(ThreadPool.defaultThreadCount(environment: ["MERGEGUARD_THREADS": " 1 "], processors: 8) == 1)
        #expect(ThreadPool.defaultThreadCount(environment: ["MERGEGUARD_THREADS": "0"], processors: 2) == 2)
        #expect(ThreadPool.defaultThreadCount(environment: ["MERGEGUARD_THREADS": "many"], processors: 2) == 2)
        #expect(ThreadPool.defaultThreadCount(environment: [:], processors: 0) == 1)
    }

    /// Output rows are split between threads but each row is computed by the same code, so results are identical.
    @Test(arguments: [1, 17, 64])
    func threadedProductEqualsSingleThreaded(rows: Int) throws {
        var random = SeededRandom(seed: UInt64(rows))
        let outFeatures = 1000, inFeatures = 576
        let w = random.floats(outFeatures * inFeatures, scale: 0.05)
        let x = random.floats(rows * inFeatures)
        let m = try w.withUnsafeBufferPointer { try Int8Matrix(quantizing: $0.baseAddress!, rows: outFeatures, columns: inFeatures) }
        let single = ThreadPool(threadCount: 1), threaded = ThreadPool(threadCount: 3)
        defer { single.shutdown(); threaded.shutdown() }
        var y1 = [Float](repeating: 0, count: rows * outFeatures), y3 = y1
        x.withUnsafeBufferPointer { xp in
            y1.withUnsafeMutableBufferPointer {
                Int8MatMul.multiply(xp.baseAddress!, rows: rows, weights: m, into: $0.baseAddress!, pool: single)
            }
            for _ in 0..<3 {
                y3.withUnsafeMutableBufferPointer {
                    Int8MatMul.multiply(xp.baseAddress!, rows: rows, weights: m, into: $0.baseAddress!, pool: threaded)
                }
                #expect(y1 == y3, "\(rows) rows: threaded product differs")
            }
        }
    }
}

final class CallCounter: Sendable {
    let total = Atomic<Int>(0)
}
