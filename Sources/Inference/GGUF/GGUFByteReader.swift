// Bounds-checked little-endian cursor over the GGUF header; every read past the end is a `truncated` error.

struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, reading what: String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard offset <= bytes.count - size else { throw .truncated(file: file, offset: bytes.count, reading: what) }
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return v
    }

    mutating func bytes(_ n: Int, reading what: String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - offset else { throw .truncated(file: file, offset: bytes.count, reading: what) }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        return slice
    }

    mutating func string(reading what: String) throws(GGUFError) -> String {
        let length = try read(UInt64.self, reading: what)
        guard length <= UInt64(bytes.count - offset) else { throw .truncated(file: file, offset: bytes.count, reading: what) }
        let raw = try bytes(Int(length), reading: what)
        // Vocabulary entries may hold byte sequences that are not UTF-8; keep them lossless via repair.
        return String(decoding: raw, as: UTF8.self)
    }

    /// Arrays of arrays are legal GGUF, but no real file nests deeply; the cap keeps a hostile file from
    /// exhausting the stack through recursion.
    static let maxArrayNesting = 8

    /// The fewest bytes a value of `type` occupies, or nil for an unknown type.
    static func minimumEncodedSize(type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 8, 10, 11, 12: 8
        case 9: 12
        default: nil
        }
    }

    mutating func value(type: UInt32, key: String, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        let what = depth == 0 ? "the value of \"\(key)\"" : "an array element of \"\(key)\""
        switch type {
        case 0: return .uint8(try read(UInt8.self, reading: what))
        case 1: return .int8(try read(Int8.self, reading: what))
        case 2: return .uint16(try read(UInt16.self, reading: what))
        case 3: return .int16(try read(Int16.self, reading: what))
        case 4: return .uint32(try read(UInt32.self, reading: what))
        case 5: return .int32(try read(Int32.self, reading: what))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, reading: what)))
        case 7: return .bool(try read(UInt8.self, reading: what) != 0)
        case 8: return .string(try string(reading: what))
        case 9:
            let elementType = try read(UInt32.self, reading: "the element type of \"\(key)\"")
            let count = try read(UInt64.self, reading: "the element count of \"\(key)\"")
            guard let elementSize = Self.minimumEncodedSize(type: elementType) else {
                throw .unknownValueType(file: file, key: key, type: elementType)
            }
            guard elementType != 9 || depth < Self.maxArrayNesting else {
                throw .arrayTooDeep(file: file, key: key, depth: depth + 1)
            }
            // A count the remaining bytes cannot hold is truncation; checking it first also keeps a corrupt
            // count from reserving gigabytes.
            guard count <= UInt64((bytes.count - offset) / elementSize) else {
                throw .truncated(file: file, offset: bytes.count, reading: "the \(count) elements of \"\(key)\"")
            }
            var out: [GGUFValue] = []
            out.reserveCapacity(Int(count))
            for _ in 0..<count { out.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(out)
        case 10: return .uint64(try read(UInt64.self, reading: what))
        case 11: return .int64(try read(Int64.self, reading: what))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, reading: what)))
        default: throw .unknownValueType(file: file, key: key, type: type)
        }
    }
}
