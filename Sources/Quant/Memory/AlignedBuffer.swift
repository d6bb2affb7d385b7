// A fixed-size, 64-byte-aligned buffer that owns its memory: the one place Quant allocates weights and scratch.
import Foundation

/// Owns `count` elements of `Element` on a 64-byte boundary (cache line / AVX-512 register width).
/// Contents start zeroed unless asked otherwise. The buffer never grows, so pointers into it stay valid for its lifetime.
public final class AlignedBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    // @unchecked Sendable: the buffer itself is never reallocated; callers that write from several
    // threads partition the index range (the thread pool splits by output rows), so no two writers overlap.
    public let count: Int
    public let pointer: UnsafeMutablePointer<Element>

    public static var alignment: Int { 64 }

    public convenience init(count: Int) {
        self.init(count: count, zeroed: true)
    }

    /// `zeroed: false` skips the fill for buffers the caller overwrites whole at once (a merge reads every input
    /// tensor into a fresh buffer: the fill was 9% of a linear merge). Elements are BitwiseCopyable, so any bytes
    /// are a valid value; they are just unspecified until written.
    public init(count: Int, zeroed: Bool) {
        precondition(count >= 0, "AlignedBuffer count must be non-negative")
        self.count = count
        let bytes = max(1, count * MemoryLayout<Element>.stride)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: Self.alignment)
        if zeroed { raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        pointer = raw.bindMemory(to: Element.self, capacity: max(1, count))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var readOnly: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: pointer, count: count) }

    public subscript(i: Int) -> Element {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var byteCount: Int { count * MemoryLayout<Element>.stride }
}
