// GGUF (v2/v3) reader over a memory map: header, metadata, tensor directory, and zero-copy tensor views.
import Quant

/// One entry of the tensor directory. `shape` is in PyTorch order (slowest-varying first),
/// i.e. GGUF's dims reversed, so a 2-D weight is [outFeatures, inFeatures].
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let type: GGMLType
    /// Offset relative to the start of the data section.
    public let offset: Int
    public let byteCount: Int
    public var elementCount: Int { shape.reduce(1, *) }
}

public final class GGUFFile: Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order (for dumps and exports).
    public let metadataKeys: [String]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    public let dataOffset: Int
    private let file: MappedFile
    private let tensorIndex: [String: Int]

    public convenience init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(mapped: file)
    }

    public init(mapped file: MappedFile) throws(GGUFError) {
        self.file = file
        self.path = file.path
        var reader = GGUFByteReader(bytes: file.bytes, file: file.path)
        let magic = try reader.bytes(4, reading: "the magic number")
        guard magic.elementsEqual("GGUF".utf8) else {
            throw .badMagic(file: path, found: "\"" + String(decoding: magic.map { (32...126).contains($0) ? $0 : 63 }, as: UTF8.self) + "\"")
        }
        version = try reader.read(UInt32.self, reading: "the version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(file: path, version: version) }
        let tensorCount = try reader.read(UInt64.self, reading: "the tensor count")
        let keyCount = try reader.read(UInt64.self, reading: "the metadata count")

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for i in 0..<keyCount {
            let key = try reader.string(reading: "metadata key \(i + 1) of \(keyCount)")
            let type = try reader.read(UInt32.self, reading: "the type of \"\(key)\"")
            let value = try reader.value(type: type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else { throw .duplicateKey(file: path, key: key) }
            keys.append(key)
        }
        self.metadata = metadata
        self.metadataKeys = keys

        var alignment = 32
        if let a = metadata["general.alignment"] {
            guard case .uint32(let v) = a else {
                throw .wrongKeyType(file: path, key: "general.alignment", expected: "a u32", found: a.typeName)
            }
            guard v > 0, v & (v - 1) == 0 else { throw .badAlignment(file: path, alignment: v) }
            alignment = Int(v)
        }
        self.alignment = alignment

        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let name = try reader.string(reading: "the name of tensor \(i + 1) of \(tensorCount)")
            let nDims = try reader.read(UInt32.self, reading: "the dimension count of \"\(name)\"")
            guard nDims <= 4 else { throw .tooManyDimensions(file: path, tensor: name, dimensions: nDims) }
            var dims: [UInt64] = []
            for _ in 0..<nDims { dims.append(try reader.read(UInt64.self, reading: "the shape of \"\(name)\"")) }
            let rawType = try reader.read(UInt32.self, reading: "the type of \"\(name)\"")
            let offset = try reader.read(UInt64.self, reading: "the offset of \"\(name)\"")
            guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(file: path, tensor: name, type: rawType) }
            var count = 1
            for d in dims {
                guard d > 0, d <= UInt64(Int32.max) else {
                    throw .badShape(file: path, tensor: name, shape: dims, reason: "every dimension must be between 1 and 2^31")
                }
                let (c, overflow) = count.multipliedReportingOverflow(by: Int(d))
                guard !overflow else { throw .badShape(file: path, tensor: name, shape: dims, reason: "element count overflows") }
                count = c
            }
            guard Int(dims.first ?? 1) % type.blockSize == 0 else {
                throw .badShape(file: path, tensor: name, shape: dims,
                                reason: "rows of \(type) must be a multiple of \(type.blockSize) values")
            }
            guard let bytes = type.byteCount(elements: count) else {
                throw .badShape(file: path, tensor: name, shape: dims, reason: "its \(type) data size overflows")
            }
            guard offset % UInt64(alignment) == 0 else {
                throw .misalignedTensor(file: path, tensor: name, offset: offset, alignment: alignment)
            }
            guard offset <= UInt64(Int.max / 2) else {
                throw .tensorOutOfRange(file: path, tensor: name, end: Int.max, fileSize: file.count)
            }
            guard index.updateValue(infos.count, forKey: name) == nil else { throw .duplicateTensor(file: path, tensor: name) }
            infos.append(GGUFTensorInfo(name: name, shape: dims.reversed().map { Int($0) }, type: type,
                                        offset: Int(offset), byteCount: bytes))
        }
        let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        self.dataOffset = dataOffset

        // Every tensor must lie inside the file and no two may share bytes.
        for t in infos {
            // Offsets and sizes come from the file, so their sum may overflow; that is out of range too.
            let (start, overflowStart) = dataOffset.addingReportingOverflow(t.offset)
            let (end, overflowEnd) = start.addingReportingOverflow(t.byteCount)
            guard !overflowStart, !overflowEnd, end <= file.count else {
                throw .tensorOutOfRange(file: path, tensor: t.name, end: overflowStart || overflowEnd ? Int.max : end,
                                        fileSize: file.count)
            }
        }
        let sorted = infos.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw .overlappingTensors(file: path, first: a.name, second: b.name)
        }
        self.tensors = infos
        self.tensorIndex = index
    }

    public func tensorInfo(_ name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The raw (possibly quantized) bytes of a tensor, valid while this file is alive.
    public func rawData(_ name: String) throws(GGUFError) -> (info: GGUFTensorInfo, bytes: UnsafeRawBufferPointer) {
        guard let info = tensorInfo(name) else { throw .missingTensor(file: path, tensor: name) }
        let start = dataOffset + info.offset
        return (info, UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + info.byteCount)]))
    }

    /// Dequantizes a whole tensor to f32 into `destination` (which must hold `elementCount` floats).
    public func dequantize(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        let (info, bytes) = try rawData(name)
        try Dequantizer.dequantize(info.type, source: bytes, count: info.elementCount, into: destination)
        file.release(bytes)
    }

    /// Dequantizes a whole tensor to a fresh array.
    public func dequantize(_ name: String) throws -> [Float] {
        let (info, _) = try rawData(name)
        var out = [Float](repeating: 0, count: info.elementCount)
        try out.withUnsafeMutableBufferPointer { try dequantize(name, into: $0.baseAddress!) }
        return out
    }

    // MARK: typed metadata access

    public func int(_ key: String) throws(GGUFError) -> Int {
        guard let v = metadata[key] else { throw .missingKey(file: path, key: key) }
        guard let i = v.intValue else { throw .wrongKeyType(file: path, key: key, expected: "an integer", found: v.typeName) }
        return i
    }

    public func double(_ key: String) throws(GGUFError) -> Double {
        guard let v = metadata[key] else { throw .missingKey(file: path, key: key) }
        guard let d = v.doubleValue else { throw .wrongKeyType(file: path, key: key, expected: "a number", found: v.typeName) }
        return d
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        guard let v = metadata[key] else { throw .missingKey(file: path, key: key) }
        guard let s = v.stringValue else { throw .wrongKeyType(file: path, key: key, expected: "a string", found: v.typeName) }
        return s
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        guard let v = metadata[key] else { throw .missingKey(file: path, key: key) }
        guard let a = v.arrayValue else { throw .wrongKeyType(file: path, key: key, expected: "an array of strings", found: v.typeName) }
        var out: [String] = []
        out.reserveCapacity(a.count)
        for e in a {
            guard let s = e.stringValue else { throw .wrongKeyType(file: path, key: key, expected: "an array of strings", found: "array of \(e.typeName)") }
            out.append(s)
        }
        return out
    }

    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        guard let v = metadata[key] else { throw .missingKey(file: path, key: key) }
        guard let a = v.arrayValue else { throw .wrongKeyType(file: path, key: key, expected: "an array of integers", found: v.typeName) }
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for e in a {
            guard let i = e.intValue else { throw .wrongKeyType(file: path, key: key, expected: "an array of integers", found: "array of \(e.typeName)") }
            out.append(i)
        }
        return out
    }
}
