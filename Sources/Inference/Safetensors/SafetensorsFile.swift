// A safetensors file over a memory map: validated header, tensor directory, zero-copy views and f32 reads.

public final class SafetensorsFile: Sendable {
    public let path: String
    /// Sorted by data offset.
    public let tensors: [SafetensorsTensorInfo]
    /// The header's "__metadata__" (string to string), empty when absent.
    public let metadata: [String: String]
    /// Where the data section starts: 8 + header length.
    public let dataOffset: Int
    private let file: MappedFile
    private let tensorIndex: [String: Int]

    public convenience init(path: String) throws {
        try self.init(mapped: try MappedFile(path: path))
    }

    public init(mapped file: MappedFile) throws(SafetensorsError) {
        self.file = file
        path = file.path
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw .fileTooSmall(file: path, size: bytes.count) }
        let headerLength = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(SafetensorsHeader.maxLength) else {
            throw .headerTooLarge(file: path, headerLength: headerLength, limit: SafetensorsHeader.maxLength)
        }
        let n = Int(headerLength)
        guard 8 + n <= bytes.count else { throw .truncatedHeader(file: path, headerLength: n, fileSize: bytes.count) }
        let header = try SafetensorsHeader(json: UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + n)]), file: path)
        dataOffset = 8 + n
        let available = bytes.count - dataOffset
        if let cut = header.tensors.first(where: { $0.end > available }) {
            throw .truncatedData(file: path, tensor: cut.name, end: cut.end, dataSize: available)
        }
        guard header.dataSize == available else {
            throw .trailingData(file: path, expectedSize: dataOffset + header.dataSize, fileSize: bytes.count)
        }
        tensors = header.tensors
        metadata = header.metadata
        tensorIndex = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($1.name, $0) })
    }

    public func tensorInfo(_ name: String) -> SafetensorsTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The raw little-endian bytes of a tensor, valid while this file is alive. Not necessarily aligned.
    public func rawData(_ name: String) throws(SafetensorsError) -> (info: SafetensorsTensorInfo, bytes: UnsafeRawBufferPointer) {
        guard let info = tensorInfo(name) else { throw .missingTensor(file: path, tensor: name) }
        let start = dataOffset + info.begin
        return (info, UnsafeRawBufferPointer(rebasing: file.bytes[start..<(dataOffset + info.end)]))
    }
}

extension SafetensorsFile: TensorSource {
    public var sourcePath: String { path }
    public var tensorNames: [String] { tensors.map(\.name) }
    public func shape(of name: String) -> [Int]? { tensorInfo(name)?.shape }

    public func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        let (info, bytes) = try rawData(name)
        guard let base = bytes.baseAddress else { return }  // zero elements
        info.dtype.decode(base, count: info.elementCount, into: destination)
        file.release(bytes)
    }

    public func readF32(_ name: String, elements: Range<Int>, into destination: UnsafeMutablePointer<Float>) throws {
        guard let info = tensorInfo(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        precondition(info.dtype == .f32 && elements.lowerBound >= 0 && elements.upperBound <= info.elementCount,
                     "readF32: \(name) is \(info.dtype) with \(info.elementCount) entries, asked for \(elements)")
        try file.read(into: UnsafeMutableRawBufferPointer(start: destination, count: elements.count * 4),
                      at: dataOffset + info.begin + elements.lowerBound * 4)
    }
}
