// Keys and values of every position seen so far, per layer, for one sequence.
import Quant

/// How a cache stores its numbers. The int8 serving path keeps f16 (llama.cpp's default too): half the bytes a
/// decode step streams at long contexts and half the memory per position; the f32 reference path keeps f32.
public enum KVPrecision: String, Sendable {
    case f32, f16

    public var byteSize: Int { self == .f32 ? 4 : 2 }
}

public final class KVCache: @unchecked Sendable {
    // @unchecked Sendable: a cache belongs to one sequence and is only touched by the forward pass running it.
    public let capacity: Int
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDim: Int
    public let precision: KVPrecision
    /// Positions filled so far; the next token goes at `count`.
    public internal(set) var count = 0
    /// Per layer, head-major: key/value head h's position p starts at element h·headStride + p·headDim. One head's
    /// positions are contiguous, so attention streams them front to back; with rows of all heads interleaved
    /// (stride kvDim) each head read a third of every row and decode attention stalled on the loads (27% of a
    /// 512-token decode). Not zeroed: only positions below `count` (and the rows being written) are ever read.
    private let keyBuffers: [AlignedBuffer<UInt8>]
    private let valueBuffers: [AlignedBuffer<UInt8>]

    public convenience init(config: ModelConfig, capacity: Int, precision: KVPrecision = .f32) {
        self.init(layerCount: config.layerCount, kvHeadCount: config.kvHeadCount, headDim: config.headDim,
                  capacity: capacity, precision: precision)
    }

    init(layerCount: Int, kvHeadCount: Int, headDim: Int, capacity: Int, precision: KVPrecision = .f32) {
        self.capacity = capacity
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.precision = precision
        let bytes = capacity * kvHeadCount * headDim * precision.byteSize
        keyBuffers = (0..<layerCount).map { _ in AlignedBuffer<UInt8>(count: bytes, zeroed: false) }
        valueBuffers = (0..<layerCount).map { _ in AlignedBuffer<UInt8>(count: bytes, zeroed: false) }
    }

    public var kvDim: Int { kvHeadCount * headDim }
    /// Elements from one head's block to the next within a layer.
    var headStride: Int { capacity * headDim }
    /// The same distance in bytes, for the attention jobs that address a head from a layer's raw pointer.
    var headBytes: Int { headStride * precision.byteSize }
    var isF16: Bool { precision == .f16 }
    /// Layer l's keys / values (elements of `precision`, head-major).
    func keys(_ l: Int) -> UnsafeRawPointer { UnsafeRawPointer(keyBuffers[l].pointer) }
    func values(_ l: Int) -> UnsafeRawPointer { UnsafeRawPointer(valueBuffers[l].pointer) }

    /// Writes `rows` positions from `position` on, taken from rows of kvDim floats (all heads side by side).
    func store(layer l: Int, at position: Int, rows: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        store(into: keyBuffers[l], at: position, rows: rows, from: k)
        store(into: valueBuffers[l], at: position, rows: rows, from: v)
    }

    private func store(into buffer: AlignedBuffer<UInt8>, at position: Int, rows: Int, from source: UnsafePointer<Float>) {
        let raw = UnsafeMutableRawPointer(buffer.pointer)
        for h in 0..<kvHeadCount {
            for r in 0..<rows {
                let cached = h * headStride + (position + r) * headDim
                let from = source + r * kvDim + h * headDim
                switch precision {
                case .f32:
                    (raw.assumingMemoryBound(to: Float.self) + cached).update(from: from, count: headDim)
                case .f16:
                    floatsToF16(from, count: headDim, into: raw.assumingMemoryBound(to: UInt16.self) + cached)
                }
            }
        }
    }

    /// The key (or value) of one position as f32, all heads side by side: for tests and checks, not the hot path.
    func row(layer l: Int, position p: Int, values fromValues: Bool = false) -> [Float] {
        let base = UnsafeRawPointer((fromValues ? valueBuffers : keyBuffers)[l].pointer)
        return (0..<kvHeadCount).flatMap { h in
            (0..<headDim).map { d in
                let i = h * headStride + p * headDim + d
                return isF16 ? f16ToFloat(base.load(fromByteOffset: 2 * i, as: UInt16.self))
                             : base.load(fromByteOffset: 4 * i, as: Float.self)
            }
        }
    }

    /// Makes this cache hold the first `count` positions of `other` (same model and precision), replacing what it had.
    func copyRows(from other: KVCache, count: Int) {
        precondition(other.layerCount == layerCount && other.kvHeadCount == kvHeadCount && other.headDim == headDim
                     && other.precision == precision && count <= min(capacity, other.count),
                     "copying \(count) KV rows between caches of different shapes")
        let size = precision.byteSize
        for l in 0..<layerCount {
            for (to, from) in [(keyBuffers[l], other.keyBuffers[l]), (valueBuffers[l], other.valueBuffers[l])] {
                for h in 0..<kvHeadCount {
                    UnsafeMutableRawPointer(to.pointer + h * headBytes)
                        .copyMemory(from: from.pointer + h * other.headBytes, byteCount: count * headDim * size)
                }
            }
        }
        self.count = count
    }

    /// Forgets everything after the first `length` positions (to reuse a shared prompt prefix, or restart).
    public func truncate(to length: Int) {
        count = max(0, min(count, length))
    }

    /// Bytes one position takes over all layers (keys and values).
    public static func bytesPerPosition(config c: ModelConfig, precision: KVPrecision) -> Int {
        2 * c.layerCount * c.kvDim * precision.byteSize
    }

    public var byteCount: Int { 2 * layerCount * capacity * kvDim * precision.byteSize }
}
