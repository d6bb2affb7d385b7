// The input buffers of one merging thread, kept from tensor to tensor.
import Quant

/// Inputs that cannot be read in place (GGUF, bf16, adapters) are decoded into these. Reusing them spares every
/// tensor a fresh allocation and its page faults; the first (largest) tensor sizes them.
final class MergeScratch {
    private var slots: [AlignedBuffer<Float>?] = []

    /// `count` floats of slot `slot`, with unspecified contents.
    func buffer(_ slot: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        while slots.count <= slot { slots.append(nil) }
        if let existing = slots[slot], existing.count >= count {
            return UnsafeMutableBufferPointer(start: existing.pointer, count: count)
        }
        let fresh = AlignedBuffer<Float>(count: count, zeroed: false)
        slots[slot] = fresh
        return fresh.buffer
    }
}
