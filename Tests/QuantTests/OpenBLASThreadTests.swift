// OpenBLAS's own worker pool is stopped when the library loads; the f32 product, split over MergeGuard's pool
// instead, still gives every output exactly.
import Testing
@testable import Quant

@Suite struct OpenBLASThreadTests {
    @Test func openBLASRunsOnTheCallingThread() {
        #expect(F32.blasThreads == 1)
    }

    /// Small integers multiply and add exactly in f32, so every way of cutting the product gives the same bits.
    /// 1,000 outputs is not a multiple of the 16-row slices; 96 × 80 stays in one OpenBLAS call.
    @Test(arguments: [(1, 1000, 288), (5, 1000, 64), (96, 80, 128)])
    func splitProductIsExact(rows: Int, outputs n: Int, inputs k: Int) {
        let pool = ThreadPool(threadCount: 2)
        defer { pool.shutdown() }
        let x = (0..<(rows * k)).map { Float(($0 * 7) % 13) - 6 }
        let w = (0..<(n * k)).map { Float(($0 * 5) % 11) - 5 }
        var y = [Float](repeating: .nan, count: rows * n)
        F32.matmulTransposed(x: x, rows: rows, w: w, outFeatures: n, inFeatures: k, into: &y, pool: pool)
        var worst: Float = 0
        for i in 0..<rows {
            for j in 0..<n {
                var sum: Float = 0
                for t in 0..<k { sum += x[i * k + t] * w[j * k + t] }
                worst = max(worst, abs(sum - y[i * n + j]))
            }
        }
        #expect(worst == 0)
        #expect(F32.blasThreads == 1)
    }
}
