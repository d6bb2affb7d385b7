// Parts of f32 tensors read with pread, for readers that look at each value once.

/// A merge reads every input tensor exactly once. Copying a 538 MB checkpoint out of its memory map costs page
/// faults on the way in and madvise calls to get the pages out of our RSS again; sources that store a tensor as
/// little-endian f32 (safetensors is little-endian like every host we build for) read any range of its entries
/// with pread instead, into a buffer the caller reuses.
public protocol F32RangeReading: Sendable {
    /// Whether `name` is stored as f32, so `readF32` can read it.
    func storesF32(_ name: String) -> Bool
    /// Entries `elements` of tensor `name` (which must be f32) into `destination`.
    func readF32(_ name: String, elements: Range<Int>, into destination: UnsafeMutablePointer<Float>) throws
}

extension SafetensorsFile: F32RangeReading {
    public func storesF32(_ name: String) -> Bool { tensorInfo(name)?.dtype == .f32 }
}

extension ShardedSafetensors: F32RangeReading {
    public func storesF32(_ name: String) -> Bool { shard(containing: name)?.storesF32(name) ?? false }

    public func readF32(_ name: String, elements: Range<Int>, into destination: UnsafeMutablePointer<Float>) throws {
        guard let shard = shard(containing: name) else { throw SafetensorsError.missingTensor(file: indexPath, tensor: name) }
        try shard.readF32(name, elements: elements, into: destination)
    }
}
