// Decode attention split over the thread pool: one task per (decode row, query head).
import Quant

/// Where one decode row's attention reads and writes (its query, its sequence's cache of this layer).
struct DecodeAttentionRow {
    let query: UnsafeMutablePointer<Float>    // (qDim) the row's roped query
    let keys: UnsafeMutablePointer<Float>     // (positions, kvDim) this layer's cache
    let values: UnsafeMutablePointer<Float>   // (positions, kvDim)
    let positions: Int                        // cached positions, the row's own included
    let out: UnsafeMutablePointer<Float>      // (qDim)
}

/// Lives on the caller's stack while the pool runs it.
struct DecodeAttentionJob {
    /// Below this many multiply-adds (positions × qDim over all rows) the caller runs every head itself.
    static let minParallelWork = 1 << 15

    let rows: UnsafePointer<DecodeAttentionRow>
    let heads: Int
    let group: Int      // query heads per key/value head
    let headDim: Int
    let kvDim: Int
    let scale: Float

    func run(task t: Int) {
        let row = rows[t / heads]
        let h = t % heads
        let kvOffset = (h / group) * headDim
        // The scores of one head at a time, in scratch of whichever thread runs the task.
        let scores = ThreadScratch.forCurrentThread.floats(row.positions)
        DecodeAttention.head(query: row.query + h * headDim, keys: row.keys + kvOffset, values: row.values + kvOffset,
                             positions: row.positions, stride: kvDim, headDim: headDim, scale: scale,
                             scores: scores, into: row.out + h * headDim)
    }
}
