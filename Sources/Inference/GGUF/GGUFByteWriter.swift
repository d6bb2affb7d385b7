// Little-endian encoder for GGUF's header pieces (integers, strings, typed values); the mirror of GGUFByteReader.

struct GGUFByteWriter {
    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

    /// u64 byte length, then the UTF-8 bytes (no terminator).
    mutating func append(string: String) {
        append(UInt64(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }

    /// A metadata entry: key, value type id, value.
    mutating func append(key: String, value: GGUFValue) {
        append(string: key)
        append(value.typeID)
        append(value: value)
    }

    /// A value without its type id. Arrays carry their element type (u8 for an empty array, which has none) and count.
    mutating func append(value: GGUFValue) {
        switch value {
        case .uint8(let v): append(v)
        case .int8(let v): append(v)
        case .uint16(let v): append(v)
        case .int16(let v): append(v)
        case .uint32(let v): append(v)
        case .int32(let v): append(v)
        case .float32(let v): append(v.bitPattern)
        case .bool(let v): append(UInt8(v ? 1 : 0))
        case .string(let v): append(string: v)
        case .uint64(let v): append(v)
        case .int64(let v): append(v)
        case .float64(let v): append(v.bitPattern)
        case .array(let items):
            append(items.first?.typeID ?? GGUFValue.uint8(0).typeID)
            append(UInt64(items.count))
            for item in items { append(value: item) }
        }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    mutating func pad(toMultipleOf alignment: Int) {
        let remainder = bytes.count % alignment
        if remainder != 0 { bytes.append(contentsOf: repeatElement(0, count: alignment - remainder)) }
    }
}
