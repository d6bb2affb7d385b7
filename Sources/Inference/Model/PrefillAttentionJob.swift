// Prefill attention of one sequence's chunk split over the thread pool: one task per (query head, block of rows).
import Quant

/// Lives on the caller's stack while the pool runs it.
struct PrefillAttentionJob {
    /// Query rows per task: enough to keep the kernel's 4-row tiles busy, few enough that a 64-row chunk of a
    /// 9-head model still makes ~36 tasks for the shared counter to balance (later rows see more positions).
    static let rowsPerTask = 16
    /// Below this many multiply-adds (rows × positions × qDim) the caller runs every task itself.
    static let minParallelWork = 1 << 16

    let query: UnsafeMutablePointer<Float>   // (rows, qDim) roped queries of the chunk
    let keys: UnsafeRawPointer               // this layer's cache, head-major (KVCache), the chunk's rows included
    let values: UnsafeRawPointer
    let f16: Bool                            // the cache's elements are f16 (else f32)
    let out: UnsafeMutablePointer<Float>     // (rows, qDim)
    let rows: Int
    let start: Int                           // cached positions before the chunk
    let heads: Int
    let group: Int                           // query heads per key/value head
    let headDim: Int
    let qDim: Int
    let headBytes: Int                       // bytes from one key/value head's positions to the next's
    let scale: Float

    var blocks: Int { (rows + Self.rowsPerTask - 1) / Self.rowsPerTask }
    var taskCount: Int { blocks * heads }

    /// Tasks of the last (costliest) row blocks come first, so the cheap ones fill the gaps at the end.
    func run(task t: Int) {
        let block = blocks - 1 - t / heads
        let h = t % heads
        let first = block * Self.rowsPerTask
        let count = min(Self.rowsPerTask, rows - first)
        let kvOffset = (h / group) * headBytes
        let firstVisible = start + first + 1
        let scratch = ThreadScratch.forCurrentThread.floats(
            PrefillAttention.scratchCount(rows: count, firstVisible: firstVisible, headDim: headDim))
        PrefillAttention.head(query: query + first * qDim + h * headDim, queryStride: qDim, keys: keys + kvOffset,
                              values: values + kvOffset, f16: f16, stride: headDim, headDim: headDim, rows: count,
                              firstVisible: firstVisible, scale: scale, scratch: scratch,
                              into: out + first * qDim + h * headDim, outStride: qDim)
    }
}
