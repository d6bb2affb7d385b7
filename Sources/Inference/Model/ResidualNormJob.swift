// The row-wise glue between products, split over the pool by rows: x += delta (the residual add), out = rmsNorm(x)
// and, for the int8 products, out quantized. Rows are independent and each step is computed exactly as the serial
// loop did (quantizing a row alone gives the bytes of quantizing the batch), so splitting changes only which core
// does it — during a 64-row prefill chunk this was otherwise serial time with the second core idle.
import Quant

/// Lives on the caller's stack while the pool runs it.
struct ResidualNormJob {
    /// Below this many values (rows × dim) the caller does every row itself: a pool wake-up costs more.
    static let minParallelValues = 2048

    let x: UnsafeMutablePointer<Float>       // (rows, dim) residual stream
    let delta: UnsafePointer<Float>?         // (rows, dim) added to x first, when set
    let weight: UnsafePointer<Float>         // (dim) the norm's gain
    let out: UnsafeMutablePointer<Float>     // (rows, dim); may be x itself
    // Unowned: the caller keeps the activations alive for the whole call.
    let quantized: Unmanaged<Int8Activations>?
    let rows: Int
    let dim: Int
    let eps: Float
    var rowsPerTask: Int

    init(x: UnsafeMutablePointer<Float>, delta: UnsafePointer<Float>?, weight: UnsafePointer<Float>,
         out: UnsafeMutablePointer<Float>, quantized: Int8Activations?, rows: Int, dim: Int, eps: Float) {
        self.x = x
        self.delta = delta
        self.weight = weight
        self.out = out
        self.quantized = quantized.map { Unmanaged.passUnretained($0) }
        self.rows = rows
        self.dim = dim
        self.eps = eps
        rowsPerTask = rows
        quantized?.reshape(rows: rows, columns: dim)
    }

    var taskCount: Int { (rows + rowsPerTask - 1) / rowsPerTask }

    func run(task t: Int) {
        let first = t * rowsPerTask
        for r in first..<min(rows, first + rowsPerTask) {
            let xr = x + r * dim, outr = out + r * dim
            if let delta { F32.add(delta + r * dim, into: xr, count: dim) }
            F32.rmsNorm(xr, weight: weight, count: dim, eps: eps, into: outr)
            quantized?.takeUnretainedValue().quantize(slice: outr, row: r, first: 0, count: dim)
        }
    }

    /// Runs every row, over `pool` when there are enough of them (about four tasks per thread).
    mutating func runAll(pool: ThreadPool) {
        if rows * dim < Self.minParallelValues || pool.threadCount == 1 {
            run(task: 0)
            return
        }
        rowsPerTask = max(1, (rows + pool.threadCount * 4 - 1) / (pool.threadCount * 4))
        withUnsafePointer(to: &self) { context in
            pool.parallelFor(tasks: context.pointee.taskCount, context: UnsafeRawPointer(context)) { context, t in
                context.assumingMemoryBound(to: ResidualNormJob.self).pointee.run(task: t)
            }
        }
    }
}
