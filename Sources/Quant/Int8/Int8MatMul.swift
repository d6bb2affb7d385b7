// y = x · Wᵀ with int8 weights: quantize the activation rows, then split the output rows over the thread pool.
import CKernels

public enum Int8MatMul {
    /// Below this many multiply-adds a product runs on the calling thread: waking the pool costs more than it saves.
    public static let minParallelWork = 1 << 16

    /// y[rows, w.rows] = x[rows, w.columns] · Wᵀ, quantizing x per 32-value block into this thread's scratch.
    public static func multiply(_ x: UnsafePointer<Float>, rows: Int, weights w: Int8Matrix,
                                into y: UnsafeMutablePointer<Float>,
                                kernel: Int8Kernel = .active, pool: ThreadPool = .shared) {
        let activations = Int8Activations.forCurrentThread
        activations.quantize(x, rows: rows, columns: w.columns)
        multiply(activations, weights: w, into: y, kernel: kernel, pool: pool)
    }

    /// y[a.rows, w.rows] from already quantized activations (tests feed every kernel the same bytes this way).
    public static func multiply(_ a: Int8Activations, weights w: Int8Matrix, into y: UnsafeMutablePointer<Float>,
                                kernel: Int8Kernel = .active, pool: ThreadPool = .shared) {
        precondition(a.columns == w.columns, "activation width \(a.columns) does not match the weights' \(w.columns)")
        precondition(kernel.isSupported, "the \(kernel) kernel is not supported on this CPU")
        let gemm = kernel.function
        let nb = Int64(w.blocksPerRow)
        let xq = UnsafePointer(a.values.pointer), xs = UnsafePointer(a.scales.pointer)
        let wq = UnsafePointer(w.values.pointer), ws = UnsafePointer(w.scales.pointer)
        let xrows = Int64(a.rows), ldy = Int64(w.rows)

        let threads = a.rows * w.rows * w.columns < minParallelWork ? 1 : pool.threadCount
        if threads == 1 {
            gemm(wq, ws, xq, xs, nb, xrows, Int64(w.rows), y, ldy)
            return
        }
        // About four tasks per thread so the shared counter evens out uneven threads; chunks stay multiples of the
        // kernels' 4-row tile.
        let perTask = (w.rows + threads * 4 - 1) / (threads * 4)
        let chunk = max(16, (perTask + 3) / 4 * 4)
        let tasks = (w.rows + chunk - 1) / chunk
        pool.parallelFor(tasks: tasks) { t in
            let first = t * chunk
            let count = min(chunk, w.rows - first)
            gemm(wq + first * w.columns, ws + first * w.blocksPerRow, xq, xs, nb, xrows, Int64(count), y + first, ldy)
        }
    }
}
