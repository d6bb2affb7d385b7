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

    public init(config: ModelConfig, capacity: Int) {
        self.capacity = capacity
        layerCount = config.layerCount
        kvDim = config.kvDim
        keys = (0..<config.layerCount).map { _ in AlignedBuffer<Float>(count: capacity * config.kvDim) }
        values = (0..<config.layerCount).map { _ in AlignedBuffer<Float>(count: capacity * config.kvDim) }
    }

    /// Forgets everything after the first `length` positions (to reuse a shared prompt prefix, or restart).
    public func truncate(to length: Int) {
        count = max(0, min(count, length))
    }

    public var byteCount: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<Float>.stride }
}
