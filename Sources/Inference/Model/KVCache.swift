// Keys and values of every position seen so far, per layer, for one sequence.
import Quant

public final class KVCache: @unchecked Sendable {
    // @unchecked Sendable: a cache belongs to one sequence and is only touched by the forward pass running it.
    public let capacity: Int
    public let layerCount: Int
    public let kvDim: Int
    /// Positions filled so far; the next token goes at `count`.
    public internal(set) var count = 0
    let keys: [AlignedBuffer<Float>]    // per layer (capacity, kvDim)
    let values: [AlignedBuffer<Float>]  // per layer (capacity, kvDim)

    public convenience init(config: ModelConfig, capacity: Int) {
        self.init(layerCount: config.layerCount, kvDim: config.kvDim, capacity: capacity)
    }

    init(layerCount: Int, kvDim: Int, capacity: Int) {
        self.capacity = capacity
        self.layerCount = layerCount
        self.kvDim = kvDim
        keys = (0..<layerCount).map { _ in AlignedBuffer<Float>(count: capacity * kvDim) }
        values = (0..<layerCount).map { _ in AlignedBuffer<Float>(count: capacity * kvDim) }
    }

    /// Makes this cache hold the first `count` positions of `other` (same model), replacing what it had.
    func copyRows(from other: KVCache, count: Int) {
        precondition(other.layerCount == layerCount && other.kvDim == kvDim && count <= min(capacity, other.count),
                     "copying \(count) KV rows between caches of different shapes")
        for l in 0..<layerCount {
            keys[l].pointer.update(from: other.keys[l].pointer, count: count * kvDim)
            values[l].pointer.update(from: other.values[l].pointer, count: count * kvDim)
        }
        self.count = count
    }

    /// Forgets everything after the first `length` positions (to reuse a shared prompt prefix, or restart).
    public func truncate(to length: Int) {
        count = max(0, min(count, length))
    }

    public var byteCount: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<Float>.stride }
}
