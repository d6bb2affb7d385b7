// Builds GGUF v3 files: metadata in insertion order, tensors of any ggml type, aligned data section.
import Foundation
import Quant

/// Collects metadata and tensors, checking each as it is added, then writes a file `GGUFFile` (and llama.cpp) can read.
/// Shapes are in PyTorch order (slowest-varying first), as in `GGUFTensorInfo`; the file stores them reversed.
/// The data alignment is 32 unless `general.alignment` is set (a u32 power of two).
public struct GGUFWriter: Sendable {
    public static let version: UInt32 = 3
    public static let defaultAlignment = 32
    /// ggml keeps names in a 64-byte buffer that includes the terminating zero.
    public static let maxTensorNameBytes = 63
    /// The most dimensions a ggml tensor has.
    public static let maxDimensions = 4

    /// A tensor waiting to be written: its directory entry and its encoded bytes.
    struct PendingTensor: Sendable {
        let name: String
        let shape: [Int]
        let type: GGMLType
        let bytes: [UInt8]
    }

    public private(set) var metadataKeys: [String] = []
    public private(set) var metadata: [String: GGUFValue] = [:]
    public private(set) var alignment = GGUFWriter.defaultAlignment
    private var tensors: [PendingTensor] = []
    private var tensorNames: Set<String> = []

    public init() {}

    public var tensorCount: Int { tensors.count }

    /// Adds a metadata entry; keys are written in the order they are set.
    public mutating func setMetadata(_ key: String, _ value: GGUFValue) throws(GGUFWriterError) {
        guard metadata[key] == nil else { throw .duplicateKey(key: key) }
        try Self.checkHomogeneous(value, key: key)
        if key == "general.alignment" {
            guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else { throw .badAlignment(value: value) }
            alignment = Int(a)
        }
        metadata[key] = value
        metadataKeys.append(key)
    }

    /// Adds a tensor from its encoded bytes, which must be exactly the size `type` needs for `shape`.
    public mutating func addTensor(_ name: String, shape: [Int], type: GGMLType, bytes: [UInt8]) throws(GGUFWriterError) {
        guard !tensorNames.contains(name) else { throw .duplicateTensor(tensor: name) }
        guard name.utf8.count <= Self.maxTensorNameBytes else { throw .tensorNameTooLong(tensor: name, bytes: name.utf8.count) }
        let count = try Self.elementCount(name: name, shape: shape, type: type)
        guard let need = type.byteCount(elements: count) else {
            throw .badShape(tensor: name, shape: shape, reason: "its \(type) data size overflows")
        }
        guard need == bytes.count else {
            throw .sizeMismatch(tensor: name, type: type, shape: shape, expectedBytes: need, gotBytes: bytes.count)
        }
        tensors.append(PendingTensor(name: name, shape: shape, type: type, bytes: bytes))
        tensorNames.insert(name)
    }

    /// Adds a tensor by copying encoded bytes (for example another file's `rawData`).
    public mutating func addTensor(_ name: String, shape: [Int], type: GGMLType,
                                   bytes: UnsafeRawBufferPointer) throws(GGUFWriterError) {
        try addTensor(name, shape: shape, type: type, bytes: [UInt8](bytes))
    }

    /// Adds an F32 tensor from its values (little-endian on disk).
    public mutating func addTensor(_ name: String, shape: [Int], floats: [Float]) throws(GGUFWriterError) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 * floats.count)
        for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        try addTensor(name, shape: shape, type: .f32, bytes: bytes)
    }

    /// The header, metadata and tensor directory, padded to where the data section begins.
    func headerBytes() -> [UInt8] {
        var out = GGUFByteWriter()
        out.append(raw: "GGUF".utf8)
        out.append(Self.version)
        out.append(UInt64(tensors.count))
        out.append(UInt64(metadataKeys.count))
        for key in metadataKeys { if let value = metadata[key] { out.append(key: key, value: value) } }
        for (tensor, offset) in zip(tensors, dataOffsets()) {
            out.append(string: tensor.name)
            out.append(UInt32(tensor.shape.count))
            for d in tensor.shape.reversed() { out.append(UInt64(d)) }
            out.append(tensor.type.rawValue)
            out.append(UInt64(offset))
        }
        out.pad(toMultipleOf: alignment)
        return out.bytes
    }

    /// Each tensor's offset in the data section: packed in order, each starting on an alignment boundary.
    func dataOffsets() -> [Int] {
        var offsets: [Int] = []
        var next = 0
        for t in tensors {
            offsets.append(next)
            next = Self.aligned(next + t.bytes.count, to: alignment)
        }
        return offsets
    }

    /// The whole file in memory (for small files and tests; `write(to:)` streams instead).
    public func serialized() -> [UInt8] {
        var out = headerBytes()
        for t in tensors {
            out.append(contentsOf: t.bytes)
            out.append(contentsOf: repeatElement(0, count: Self.aligned(t.bytes.count, to: alignment) - t.bytes.count))
        }
        return out
    }

    /// Writes the file next to `path` and renames it into place, so a failed export never leaves a half-written model.
    public func write(to path: String) throws(GGUFWriterError) {
        let partial = path + ".partial"
        do {
            guard FileManager.default.createFile(atPath: partial, contents: nil),
                  let handle = FileHandle(forWritingAtPath: partial) else {
                throw GGUFWriterError.cannotWrite(file: path, reason: "cannot create \(partial)")
            }
            do {
                try handle.write(contentsOf: headerBytes())
                for t in tensors {
                    try handle.write(contentsOf: t.bytes)
                    let padding = Self.aligned(t.bytes.count, to: alignment) - t.bytes.count
                    if padding > 0 { try handle.write(contentsOf: [UInt8](repeating: 0, count: padding)) }
                }
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(partial, path) == 0 else {
                throw GGUFWriterError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as GGUFWriterError {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw .cannotWrite(file: path, reason: "\(error)")
        }
    }

    static func aligned(_ n: Int, to alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Checks dimensions the way `GGUFFile` reads them back, and returns the element count.
    static func elementCount(name: String, shape: [Int], type: GGMLType) throws(GGUFWriterError) -> Int {
        guard (1...maxDimensions).contains(shape.count) else {
            throw .badShape(tensor: name, shape: shape, reason: "a tensor has 1 to \(maxDimensions) dimensions")
        }
        var count = 1
        for d in shape {
            guard d >= 1, d <= Int(Int32.max) else {
                throw .badShape(tensor: name, shape: shape, reason: "every dimension must be between 1 and 2^31 - 1")
            }
            let (c, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .badShape(tensor: name, shape: shape, reason: "the element count overflows") }
            count = c
        }
        guard shape[shape.count - 1] % type.blockSize == 0 else {
            throw .badShape(tensor: name, shape: shape,
                            reason: "rows of \(type) must be a multiple of \(type.blockSize) values (the last dimension)")
        }
        return count
    }

    /// GGUF arrays declare one element type; nested arrays are checked level by level.
    static func checkHomogeneous(_ value: GGUFValue, key: String) throws(GGUFWriterError) {
        guard case .array(let items) = value else { return }
        let types = Set(items.map(\.typeID))
        guard types.count <= 1 else {
            throw .mixedArray(key: key, elementTypes: items.map(\.typeName).reduce(into: []) { if !$0.contains($1) { $0.append($1) } })
        }
        for item in items { try checkHomogeneous(item, key: key) }
    }
}
