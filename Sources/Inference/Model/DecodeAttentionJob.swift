// Decode attention split over the thread pool: on AVX2 machines one task per (decode row, key/value head, half of
// the positions), combined afterwards; otherwise one task per (decode row, range of query heads).
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
    /// Below this many multiply-adds (positions × qDim over all rows) the caller runs every task itself.
    static let minParallelWork = 1 << 15
    /// Parts a row's positions are split into on AVX2 machines (`partBounds`), whatever the thread and row counts,
    /// so a row's numbers never depend on them. Why split: SmolLM2 has 3 key/value heads of 3 query heads each, and
    /// split by heads one thread took 4 query heads and the other 5, the middle key/value head read by both; split
    /// by (key/value head, half) each thread takes 3 equal tasks and every cached row is read once. Decode steps
    /// alternated between the two in one run (AMD EPYC): 1.00-1.02× at 512-768 positions, 1.03-1.05× at 1500-1756,
    /// where attention is a larger share of a step.
    static let parts = 2

    let rows: UnsafePointer<DecodeAttentionRow>
    let rowCount: Int
    let heads: Int
    let group: Int      // query heads per key/value head
    let headDim: Int
    let scale: Float
    /// Per (row, key/value head, part): the part's unnormalized outputs of the group's query heads, then their
    /// maxima, then their sums (`partFloats` floats); nil when the rows are split by heads instead.
    let partials: UnsafeMutablePointer<Float>?
    /// Without partials: tasks per row. With fewer rows than threads a row's heads are split in contiguous ranges
    /// (one per thread), otherwise a task takes a whole row. Contiguous ranges keep the heads of one key/value
    /// head together, so the kernel reads a cached row once for all of them instead of once per head.
    let splits: Int

    init(rows: UnsafePointer<DecodeAttentionRow>, rowCount: Int, heads: Int, group: Int, headDim: Int, scale: Float,
         threads: Int, partials: UnsafeMutablePointer<Float>?) {
        self.rows = rows
        self.rowCount = rowCount
        self.heads = heads
        self.group = group
        self.headDim = headDim
        self.scale = scale
        self.partials = partials
        splits = rowCount >= threads ? 1 : min(heads, threads)
    }

    /// Floats of `partials` a job over `rows` rows needs.
    static func partialsCount(rows: Int, heads: Int, headDim: Int) -> Int { rows * heads * parts * (headDim + 2) }

    var taskCount: Int { partials == nil ? rowCount * splits : rowCount * (heads / group) * Self.parts }

    private var partFloats: Int { group * (headDim + 2) }

    /// Positions [start, end) of part `part` of `positions`: halves cut at a multiple of 8 (the kernel scores eight
    /// positions at a time); under 16 positions the first part takes all and the second is empty.
    static func partBounds(positions: Int, part: Int) -> (start: Int, end: Int) {
        let middle = positions / 16 * 8
        let cut = middle == 0 ? positions : middle
        return part == 0 ? (0, cut) : (cut, positions)
    }

    func run(task t: Int) {
        if let partials { runPart(task: t, partials: partials) } else { runHeads(task: t) }
    }

    private func runPart(task t: Int, partials: UnsafeMutablePointer<Float>) {
        let kvHeads = heads / group
        let r = t / (kvHeads * Self.parts), kvHead = t / Self.parts % kvHeads, part = t % Self.parts
        let row = rows[r]
        let (start, end) = Self.partBounds(positions: row.positions, part: part)
        guard end > start else { return }
        let block = partials + t * partFloats
        let elementBytes = row.f16 ? 2 : 4
        let offset = kvHead * row.headBytes + start * headDim * elementBytes
        let scores = ThreadScratch.forCurrentThread.floats(group * (end - start))
        DecodeAttention.part(group, query: row.query + kvHead * group * headDim, keys: row.keys + offset,
                             values: row.values + offset, f16: row.f16, positions: end - start, stride: headDim,
                             headDim: headDim, scale: scale, scores: scores, into: block,
                             maxima: block + group * headDim, sums: block + group * headDim + group)
    }

    /// After every task: each row's heads from their parts, into the row's output (no-op without partials).
    func combine() {
        guard let partials else { return }
        let kvHeads = heads / group
        for r in 0..<rowCount {
            let row = rows[r]
            var nonEmpty = 0   // empty parts come last
            for part in 0..<Self.parts {
                let bounds = Self.partBounds(positions: row.positions, part: part)
                if bounds.end > bounds.start { nonEmpty += 1 }
            }
            for kvHead in 0..<kvHeads {
                let first = partials + (r * kvHeads + kvHead) * Self.parts * partFloats
                for g in 0..<group {
                    DecodeAttention.combineParts(
                        nonEmpty, outs: { UnsafePointer(first + $0 * partFloats + g * headDim) },
                        maxima: { first[$0 * partFloats + group * headDim + g] },
                        sums: { first[$0 * partFloats + group * headDim + group + g] },
                        headDim: headDim, into: row.out + (kvHead * group + g) * headDim)
                }
            }
        }
    }

    private func runHeads(task t: Int) {
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
