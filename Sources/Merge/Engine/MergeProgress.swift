// Progress of a streaming merge, reported once per finished tensor.

public struct MergeProgress: Sendable, Equatable {
    /// 1-based: the tensor just finished.
    public let tensorIndex: Int
    public let tensorCount: Int
    public let tensorName: String
    /// f32 bytes of merged tensors so far and in all.
    public let bytesDone: Int
    public let bytesTotal: Int

    public var fraction: Double { bytesTotal > 0 ? Double(bytesDone) / Double(bytesTotal) : 1 }
}

public typealias MergeProgressHandler = @Sendable (MergeProgress) -> Void
