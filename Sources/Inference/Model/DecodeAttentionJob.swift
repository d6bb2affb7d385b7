// Decode attention split over the thread pool: one task per (decode row, range of query heads).
import Quant

/// Where one decode row's attention reads and writes (its query, its sequence's cache of this layer).
struct DecodeAttentionRow {
    let query: UnsafeMutablePointer<Float>    // (qDim) the row's roped query
    let keys: UnsafeRawPointer                // this layer's cache, head-major (KVCache)
    let values: UnsafeRawPointer
    let f16: Bool                             // the cache's elements are f16 (else f32)
    let headBytes: Int                        // bytes from one key/value head's positions to the next's
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
    let scale: Float
    /// Tasks per row: with fewer rows than threads a row's heads are split in contiguous ranges (one per thread),
    /// otherwise a task takes a whole row. Contiguous ranges keep the heads of one key/value head together, so the
    /// kernel reads a cached row once for all of them instead of once per head.
    let splits: Int

    init(rows: UnsafePointer<DecodeAttentionRow>, rowCount: Int, heads: Int, group: Int, headDim: Int, scale: Float,
         threads: Int) {
        self.rows = rows
        self.heads = heads
        self.group = group
        self.headDim = headDim
        self.scale = scale
        splits = rowCount >= threads ? 1 : min(heads, threads)
    }

    func run(task t: Int) {
        let row = rows[t / splits]
        let split = t % splits
        var h = split * heads / splits
        let end = (split + 1) * heads / splits
        while h < end {
            // The run of this range's heads that share h's key/value head.
            let kvHead = h / group
            let count = min(end, (kvHead + 1) * group) - h
            let kvOffset = kvHead * row.headBytes
            let scores = ThreadScratch.forCurrentThread.floats(count * row.positions)
            DecodeAttention.heads(count, query: row.query + h * headDim, keys: row.keys + kvOffset,
                                  values: row.values + kvOffset, f16: row.f16, positions: row.positions, stride: headDim,
                                  headDim: headDim, scale: scale, scores: scores, into: row.out + h * headDim)
            h += count
        }
    }
}
