// f32 tensors read in place from a memory-mapped checkpoint, for readers that only look at the values once.

/// A merge reads every input tensor exactly once; copying a 538 MB checkpoint out of its map first was a fifth of a
/// linear merge's time. Sources that store a tensor as little-endian f32 at a 4-byte aligned address hand out a view
/// of the mapped bytes instead (safetensors is little-endian like every host we build for).
public protocol MappedFloatViews: Sendable {
    /// The tensor's values in the file's memory map, or nil when it is not f32 or not aligned (then use
    /// `readFloats`). Valid while the source is alive; once done with (part of) it, `MappedFile.releasePages` takes
    /// its pages out of this process's RSS (a later read faults them back in from the page cache).
    func floatView(_ name: String) -> UnsafeBufferPointer<Float>?
}

extension SafetensorsFile: MappedFloatViews {
    public func floatView(_ name: String) -> UnsafeBufferPointer<Float>? {
        guard let (info, bytes) = try? rawData(name), info.dtype == .f32 else { return nil }
        guard let start = bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        guard Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: info.elementCount)
    }
}

extension ShardedSafetensors: MappedFloatViews {
    public func floatView(_ name: String) -> UnsafeBufferPointer<Float>? { shard(containing: name)?.floatView(name) }
}
