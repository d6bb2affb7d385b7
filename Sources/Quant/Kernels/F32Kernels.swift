// f32 building blocks of the reference forward pass: matrix products through OpenBLAS, and the
// element-wise pieces (RMSNorm, SiLU, softmax) written with SIMD so they are not the bottleneck.
import CKernels
import COpenBLAS
import COpenBLASThreads
import Foundation

public enum F32 {
    /// Threads one OpenBLAS call uses: always 1, every product runs on its caller's thread (COpenBLASThreads says why).
    public static var blasThreads: Int { Int(mg_openblas_thread_count()) }

    /// y[rows, n] = x[rows, k] · w[n, k]ᵀ — a linear layer over `rows` tokens with PyTorch-layout weights.
    /// OpenBLAS's sgemm is the reference product: well tested, and fast enough that the reference is usable.
    /// OpenBLAS runs single-threaded here, so large products are split by output features over `pool` (its own
    /// threads measured 45 → 29 decode tokens/s when stopped without this split). Must not be called from a task
    /// of `pool`.
    public static func matmulTransposed(x: UnsafePointer<Float>, rows: Int, w: UnsafePointer<Float>, outFeatures n: Int,
                                        inFeatures k: Int, into y: UnsafeMutablePointer<Float>,
                                        pool: ThreadPool = .shared) {
        let tasks = rows * n * k < 1 << 18 ? 1 : min(pool.threadCount * 2, max(1, n / 64))
        if tasks == 1 {
            product(x: x, rows: rows, w: w, n: n, k: k, y: y, ldy: n)
            return
        }
        // Slices of whole 16-row groups; each output is still one OpenBLAS dot over all of k.
        let slice = ((n + tasks - 1) / tasks + 15) / 16 * 16
        pool.parallelFor(tasks: (n + slice - 1) / slice) { t in
            let first = t * slice
            product(x: x, rows: rows, w: w + first * k, n: min(slice, n - first), k: k, y: y + first, ldy: n)
        }
    }

    private static func product(x: UnsafePointer<Float>, rows: Int, w: UnsafePointer<Float>, n: Int, k: Int,
                                y: UnsafeMutablePointer<Float>, ldy: Int) {
        if rows == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(n), blasint(k), 1, w, blasint(k), x, 1, 0, y, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rows), blasint(n), blasint(k),
                        1, x, blasint(k), w, blasint(k), 0, y, blasint(ldy))
        }
    }

    /// General strided product C[m, n] = alpha·A[m, k] · op(B) (+ beta·C), row-major with leading dimensions;
    /// attention uses it to multiply one head's slice of interleaved q/k/v rows without copying.
    public static func gemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// Σ a[i]·b[i], eight lanes at a time.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 16 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// out = x / rms(x) · weight, with rms(x) = sqrt(mean(x²) + eps). `out` may alias `x`.
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count n: Int, eps: Float,
                               into out: UnsafeMutablePointer<Float>) {
        // Accumulate in Double: over 576+ values the f32 sum of squares drifts more than the 1e-3 logit budget allows
        // once errors compound across 30 layers.
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i]) * Double(x[i]) }
        let scale = Float(1.0 / (sum / Double(n) + Double(eps)).squareRoot())
        for i in 0..<n { out[i] = x[i] * scale * weight[i] }
    }

    /// Whether swiGLU runs the AVX2 kernel (AVX2 + FMA).
    public static let usesAVX2 = mg_cpu_features() & Int32(MG_CPU_AVX2) != 0

    /// gate[i] = silu(gate[i]) · up[i] — SwiGLU's gating, in place on `gate`: eight values at a time on AVX2 machines
    /// (a polynomial exp, within a few ulp of this loop's expf), else one expf call per value.
    public static func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count n: Int,
                              avx2: Bool = usesAVX2) {
        if avx2 {
            mg_swiglu_avx2(gate, up, Int64(n))
            return
        }
        for i in 0..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// Numerically stable softmax over the first n values, in place.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        var maxValue = x[0]
        for i in 1..<n where x[i] > maxValue { maxValue = x[i] }
        var sum: Float = 0
        for i in 0..<n {
            let e = expf(x[i] - maxValue)
            x[i] = e
            sum += e
        }
        let inv = 1 / sum
        for i in 0..<n { x[i] *= inv }
    }

    /// y[i] += a·x[i], eight lanes at a time.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let va = SIMD8<Float>(repeating: a)
        var i = 0
        while i + 8 <= n {
            let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + va * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// y[i] += x[i].
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }
}
