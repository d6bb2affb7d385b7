// Keys and values of every position seen so far, per layer, for one sequence.
import Quant

public final class KVCache: @unchecked Sendable {
    // @unchecked Sendable: a cache belongs to one sequence and is only touched by the forward pass running it.
    public let capacity: Int
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDim: Int
    /// Positions filled so far; the next token goes at `count`.
    public internal(set) var count = 0
    /// Per layer, head-major: key/value head h's position p starts at h·headStride + p·headDim. One head's positions
    /// are contiguous, so attention streams them front to back; with rows of all heads interleaved (stride kvDim)
    /// each head read a third of every row and decode attention stalled on the loads (27% of a 512-token decode).
    let keys: [AlignedBuffer<Float>]
    let values: [AlignedBuffer<Float>]

    public convenience init(config: ModelConfig, capacity: Int) {
        self.init(layerCount: config.layerCount, kvHeadCount: config.kvHeadCount, headDim: config.headDim,
                  capacity: capacity)
    }

    init(layerCount: Int, kvHeadCount: Int, headDim: Int, capacity: Int) {
        self.capacity = capacity
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        let floats = capacity * kvHeadCount * headDim
        keys = (0..<layerCount).map { _ in AlignedBuffer<Float>(count: floats) }
        values = (0..<layerCount).map { _ in AlignedBuffer<Float>(count: floats) }
    }

    public var kvDim: Int { kvHeadCount * headDim }
    /// Floats from one head's block to the next within a layer.
    var headStride: Int { capacity * headDim }

    /// Writes `rows` positions from `position` on, taken from rows of kvDim floats (all heads side by side).
    func store(layer l: Int, at position: Int, rows: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        for h in 0..<kvHeadCount {
            let cached = h * headStride + position * headDim
            for r in 0..<rows {
                (keys[l].pointer + cached + r * headDim).update(from: k + r * kvDim + h * headDim, count: headDim)
                (values[l].pointer + cached + r * headDim).update(from: v + r * kvDim + h * headDim, count: headDim)
            }
        }
    }

    /// The key (or value) of one position, all heads side by side: for tests and checks, not the hot path.
    func row(layer l: Int, position p: Int, values fromValues: Bool = false) -> [Float] {
        let base = (fromValues ? values : keys)[l].pointer
        return (0..<kvHeadCount).flatMap { h in
            Array(UnsafeBufferPointer(start: base + h * headStride + p * headDim, count: headDim))
        }
    }

    /// Makes this cache hold the first `count` positions of `other` (same model), replacing what it had.
    func copyRows(from other: KVCache, count: Int) {
        precondition(other.layerCount == layerCount && other.kvHeadCount == kvHeadCount && other.headDim == headDim
                     && count <= min(capacity, other.count), "copying \(count) KV rows between caches of different shapes")
        for l in 0..<layerCount {
            for h in 0..<kvHeadCount {
                (keys[l].pointer + h * headStride).update(from: other.keys[l].pointer + h * other.headStride,
                                                          count: count * headDim)
                (values[l].pointer + h * headStride).update(from: other.values[l].pointer + h * other.headStride,
                                                            count: count * headDim)
            }
        }
        self.count = count
    }

    /// Forgets everything after the first `length` positions (to reuse a shared prompt prefix, or restart).
    public func truncate(to length: Int) {
        count = max(0, min(count, length))
    }

    public var byteCount: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<Float>.stride }
}
