// y = x · Wᵀ with int8 weights: quantize the activation rows, then split the output rows over the thread pool.
import CKernels

public enum Int8MatMul {
    /// Below this many multiply-adds a product runs on the calling thread: waking the pool costs more than it saves.
    public static let minParallelWork = 1 << 16

    /// Pool tasks per thread for a product of `rows` activation rows. Below MG_Q8_LANE_MIN_ROWS (single-stream
    /// decode) the kernel streams the weights from memory, and a task streams fastest as one long run over its part
    /// (the kernel's prefetch restarts cold at every task): one task per thread made decode steps 1.05-1.07× faster
    /// than four (AMD EPYC, steps alternated within one run; two per thread 1.03-1.05×). From there on the product is
    /// compute-bound, and about four tasks per thread let the shared counter even out threads of different speeds.
    static func tasksPerThread(rows: Int) -> Int { rows < Int(MG_Q8_LANE_MIN_ROWS) ? 1 : 4 }

    /// Output rows per task when `outputRows` rows are split over `threads` threads for `activationRows` rows: whole
    /// 8-row groups (a kernel view starts at one), at least 16.
    static func taskRows(outputRows: Int, activationRows: Int, threads: Int) -> Int {
        let tasks = threads * tasksPerThread(rows: activationRows)
        return max(16, Int8Matrix.wholeRowGroups((outputRows + tasks - 1) / tasks))
    }

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
        var job = GemmJob(gemm: kernel.function, weights: w, activations: a.kernelView, xrows: a.rows, y: y, chunk: w.rows)
        let threads = a.rows * w.rows * w.columns < minParallelWork ? 1 : pool.threadCount
        if threads == 1 {
            job.run(task: 0)
            return
        }
        job.chunk = taskRows(outputRows: w.rows, activationRows: a.rows, threads: threads)
        let tasks = (w.rows + job.chunk - 1) / job.chunk
        withUnsafePointer(to: job) { context in
            pool.parallelFor(tasks: tasks, context: UnsafeRawPointer(context)) { context, t in
                context.assumingMemoryBound(to: GemmJob.self).pointee.run(task: t)
            }
        }
    }
}

/// One product split into chunks of output rows; lives on the caller's stack while the pool runs it.
struct GemmJob {
    let gemm: mg_q8_gemm_fn
    let weights: Int8Matrix
    let activations: mg_q8_activations
    let xrows: Int
    let y: UnsafeMutablePointer<Float>   // (xrows, weights.rows)
    var chunk: Int

    init(gemm: mg_q8_gemm_fn, weights: Int8Matrix, activations: mg_q8_activations, xrows: Int,
         y: UnsafeMutablePointer<Float>, chunk: Int) {
        self.gemm = gemm
        self.weights = weights
        self.activations = activations
        self.xrows = xrows
        self.y = y
        self.chunk = chunk
    }

    var taskCount: Int { (weights.rows + chunk - 1) / chunk }

    /// Output rows [task·chunk, task·chunk + chunk) of every activation row.
    func run(task: Int) {
        let first = task * chunk
        let count = min(chunk, weights.rows - first)
        let blocks = Int64(weights.blocksPerRow)
        let scratch = ThreadScratch.forCurrentThread.floats(Int(mg_q8_gemm_scratch(blocks, Int64(xrows))))
        gemm(weights.kernelView(firstRow: first), activations, blocks, Int64(xrows), Int64(count), y + first,
             Int64(weights.rows), scratch)
    }
}
