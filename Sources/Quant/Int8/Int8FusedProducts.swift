// Several int8 products of one input in a single pool call: q/k/v of attention, and gate/up of a SwiGLU
// feed-forward with the gating and the down projection's input quantization done inside the same tasks.
// Every output value is computed exactly as `Int8MatMul.multiply` computes it (a row's sum never depends on how
// rows are handed out), so fusing changes speed only: one activation quantization and one pool wake-up instead of
// two or three, and no serial SwiGLU/quantization between the products.
import CKernels

/// One product of a fused call: y (rows, weights.rows) = activations · weightsᵀ.
public struct Int8Product {
    public let weights: Int8Matrix
    public let output: UnsafeMutablePointer<Float>

    public init(weights: Int8Matrix, output: UnsafeMutablePointer<Float>) {
        self.weights = weights
        self.output = output
    }
}

extension Int8MatMul {
    /// Products of `a` with up to three matrices (same column count), in one pool call.
    public static func multiply(_ a: Int8Activations, _ first: Int8Product, _ second: Int8Product,
                                _ third: Int8Product? = nil, kernel: Int8Kernel = .active, pool: ThreadPool = .shared) {
        let parts = third == nil ? 2 : 3
        let third = third ?? second
        precondition(kernel.isSupported, "the \(kernel) kernel is not supported on this CPU")
        let activations = a.kernelView
        let totalRows = first.weights.rows + second.weights.rows + (parts == 3 ? third.weights.rows : 0)
        let threads = a.rows * totalRows * a.columns < minParallelWork ? 1 : pool.threadCount
        // Chunks sized from the total, so a small matrix (k, v) is not cut into as many tasks as a big one.
        let chunk = threads == 1 ? totalRows : taskRows(outputRows: totalRows, activationRows: a.rows, threads: threads)
        func job(_ p: Int8Product) -> GemmJob {
            precondition(a.columns == p.weights.columns, "activation width \(a.columns) does not match the weights' \(p.weights.columns)")
            return GemmJob(gemm: kernel.function, weights: p.weights, activations: activations, xrows: a.rows,
                           y: p.output, chunk: chunk)
        }
        var group = GemmGroup(jobs: (job(first), job(second), job(third)), parts: parts)
        if threads == 1 {
            for t in 0..<group.taskCount { group.run(task: t) }
            return
        }
        withUnsafePointer(to: &group) { context in
            pool.parallelFor(tasks: context.pointee.taskCount, context: UnsafeRawPointer(context)) { context, t in
                context.assumingMemoryBound(to: GemmGroup.self).pointee.run(task: t)
            }
        }
    }

    /// The SwiGLU feed-forward's first half in one pool call: gate = a·Gᵀ and up = a·Uᵀ (rows, hidden), then
    /// gate ← silu(gate)·up, quantized into `hidden` for the down projection. Each task owns a slice of whole
    /// 32-value blocks of the hidden dimension, so it can gate and quantize its slice without waiting for others.
    public static func gatedFeedForward(_ a: Int8Activations, gate: Int8Product, up: Int8Product, hidden: Int8Activations,
                                        kernel: Int8Kernel = .active, pool: ThreadPool = .shared) {
        let width = gate.weights.rows
        precondition(up.weights.rows == width && width % Int8Matrix.blockSize == 0,
                     "gate and up need the same row count, a multiple of \(Int8Matrix.blockSize)")
        precondition(kernel.isSupported, "the \(kernel) kernel is not supported on this CPU")
        hidden.reshape(rows: a.rows, columns: width)
        let threads = 2 * a.rows * width * a.columns < minParallelWork ? 1 : pool.threadCount
        let blocks = width / Int8Matrix.blockSize
        let tasks = threads * tasksPerThread(rows: a.rows)
        let chunk = threads == 1 ? width : max(1, (blocks + tasks - 1) / tasks) * Int8Matrix.blockSize
        let activations = a.kernelView
        func job(_ p: Int8Product) -> GemmJob {
            precondition(a.columns == p.weights.columns, "activation width \(a.columns) does not match the weights' \(p.weights.columns)")
            return GemmJob(gemm: kernel.function, weights: p.weights, activations: activations, xrows: a.rows,
                           y: p.output, chunk: chunk)
        }
        var context = GatedJob(gate: job(gate), up: job(up), hidden: Unmanaged.passUnretained(hidden))
        if threads == 1 {
            for t in 0..<context.taskCount { context.run(task: t) }
            return
        }
        withUnsafePointer(to: &context) { context in
            pool.parallelFor(tasks: context.pointee.taskCount, context: UnsafeRawPointer(context)) { context, t in
                context.assumingMemoryBound(to: GatedJob.self).pointee.run(task: t)
            }
        }
    }
}

/// Up to three products' chunks numbered one after another: task t belongs to the first job whose range holds it.
struct GemmGroup {
    let jobs: (GemmJob, GemmJob, GemmJob)
    let parts: Int
    let ends: (Int, Int, Int)

    init(jobs: (GemmJob, GemmJob, GemmJob), parts: Int) {
        self.jobs = jobs
        self.parts = parts
        let e0 = jobs.0.taskCount
        let e1 = e0 + jobs.1.taskCount
        ends = (e0, e1, parts == 3 ? e1 + jobs.2.taskCount : e1)
    }

    var taskCount: Int { ends.2 }

    func run(task t: Int) {
        if t < ends.0 { jobs.0.run(task: t) }
        else if t < ends.1 { jobs.1.run(task: t - ends.0) }
        else { jobs.2.run(task: t - ends.1) }
    }
}

/// gate and up chunks paired by task, then gated and quantized slice by slice.
struct GatedJob {
    let gate: GemmJob
    let up: GemmJob
    // Unowned: the caller keeps `hidden` alive for the whole call.
    let hidden: Unmanaged<Int8Activations>

    var taskCount: Int { gate.taskCount }

    func run(task t: Int) {
        gate.run(task: t)
        up.run(task: t)
        let first = t * gate.chunk
        let width = gate.weights.rows
        let count = min(gate.chunk, width - first)
        let hidden = hidden.takeUnretainedValue()
        for r in 0..<gate.xrows {
            let g = gate.y + r * width + first
            F32.swiGLU(gate: g, up: up.y + r * width + first, count: count)
            hidden.quantize(slice: g, row: r, first: first, count: count)
        }
    }
}
