// OpenBLAS's own worker pool is stopped when the library loads; products still give the right answer afterwards.
import Testing
@testable import Quant

@Suite struct OpenBLASThreadTests {
    @Test func openBLASRunsOnTheCallingThread() {
        #expect(F32.blasThreads == 1)
        // A product large enough that a pooled OpenBLAS would split it across threads.
        let m = 96, n = 80, k = 128
        let a = (0..<(m * k)).map { Float(($0 * 7) % 13) - 6 }
        let b = (0..<(n * k)).map { Float(($0 * 5) % 11) - 5 }
        var y = [Float](repeating: .nan, count: m * n)
        F32.matmulTransposed(x: a, rows: m, w: b, outFeatures: n, inFeatures: k, into: &y)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for t in 0..<k { sum += a[i * k + t] * b[j * k + t] }
                worst = max(worst, abs(sum - y[i * n + j]))
            }
        }
        #expect(worst == 0, "small integers multiply exactly in f32")
        #expect(F32.blasThreads == 1)
    }
}
