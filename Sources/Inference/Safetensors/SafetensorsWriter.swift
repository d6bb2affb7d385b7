// Writes named tensors and string metadata as a safetensors file laid out like the reference writer's.
import Foundation
import Quant

/// Collects tensors (encoded as they are added) and writes them in one go. Layout follows the reference, byte for byte:
/// tensors sorted by descending dtype alignment rank then name, packed from offset 0, the JSON header padded with
/// spaces to a multiple of 8 bytes so every tensor stays aligned to its element size.
public struct SafetensorsWriter: Sendable {
    public let path: String
    public var metadata: [String: String]
    private var entries: [Entry] = []
    private var names: Set<String> = []

    private struct Entry: Sendable {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let bytes: [UInt8]
    }

    public init(path: String, metadata: [String: String] = [:]) {
        self.path = path
        self.metadata = metadata
    }

    /// Adds a tensor from f32 values, converted to `dtype`. Half types round to nearest even; integer, BOOL and
    /// 8-bit float types need values they represent exactly.
    public mutating func add(_ name: String, shape: [Int], values: [Float], as dtype: SafetensorsDType = .f32) throws(SafetensorsError) {
        let count = shape.reduce(1, *)
        guard values.count == count, shape.allSatisfy({ $0 >= 0 }) else {
            throw .valueCountMismatch(file: path, tensor: name, shape: shape, count: values.count)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * dtype.byteSize)
        func inexact(_ value: Float) -> SafetensorsError {
            .valueNotRepresentable(file: path, tensor: name, dtype: dtype.rawValue, value: value)
        }
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        func appendExact<T: FixedWidthInteger>(_ type: T.Type, _ value: Float) throws(SafetensorsError) {
            guard let exact = T(exactly: value) else { throw inexact(value) }
            append(exact)
        }
        for v in values {
            switch dtype {
            case .f32: append(v.bitPattern)
            case .f64: append(Double(v).bitPattern)
            case .f16: append(floatToF16(v))
            case .bf16: append(floatToBF16(v))
            case .f8E4M3, .f8E5M2:
                guard let code = Self.exactFloat8Code(v, dtype) else { throw inexact(v) }
                bytes.append(code)
            case .i64: try appendExact(Int64.self, v)
            case .i32: try appendExact(Int32.self, v)
            case .i16: try appendExact(Int16.self, v)
            case .i8: try appendExact(Int8.self, v)
            case .u64: try appendExact(UInt64.self, v)
            case .u32: try appendExact(UInt32.self, v)
            case .u16: try appendExact(UInt16.self, v)
            case .u8: try appendExact(UInt8.self, v)
            case .bool:
                guard v == 0 || v == 1 else { throw inexact(v) }
                bytes.append(v == 1 ? 1 : 0)
            }
        }
        try add(name, shape: shape, dtype: dtype, rawBytes: bytes)
    }

    /// Adds a tensor from its little-endian bytes as they will appear in the file.
    public mutating func add(_ name: String, shape: [Int], dtype: SafetensorsDType, rawBytes: [UInt8]) throws(SafetensorsError) {
        guard name != SafetensorsHeader.metadataKey else { throw .reservedName(file: path, tensor: name) }
        guard shape.allSatisfy({ $0 >= 0 }), rawBytes.count == shape.reduce(1, *) * dtype.byteSize else {
            throw .valueCountMismatch(file: path, tensor: name, shape: shape, count: rawBytes.count / dtype.byteSize)
        }
        guard names.insert(name).inserted else { throw .duplicateTensor(file: path, tensor: name) }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: rawBytes))
    }

    /// The whole file: length prefix, padded header, data.
    public func serialized() -> [UInt8] {
        let ordered = orderedEntries()
        let header = paddedHeader(ordered)
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + ordered.reduce(0) { $0 + $1.bytes.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for e in ordered { out.append(contentsOf: e.bytes) }
        return out
    }

    /// Writes to a temporary file beside `path` and renames it into place, so a failed or interrupted export
    /// never leaves a truncated file that looks like a model.
    public func write() throws(SafetensorsError) {
        let ordered = orderedEntries()
        let header = paddedHeader(ordered)
        let partial = path + ".partial-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: partial, contents: nil),
              let handle = FileHandle(forWritingAtPath: partial) else {
            throw .cannotWrite(file: path, reason: "the file cannot be created (does the folder exist and is it writable?)")
        }
        do {
            // Tensor by tensor, so a large export never holds a second copy of all the data.
            try handle.write(contentsOf: withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) })
            try handle.write(contentsOf: header)
            for e in ordered { try handle.write(contentsOf: e.bytes) }
            try handle.close()
            guard rename(partial, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw .cannotWrite(file: path, reason: "\(error)")
        }
    }

    private func orderedEntries() -> [Entry] {
        entries.sorted { ($1.dtype.layoutRank, $0.name) < ($0.dtype.layoutRank, $1.name) }
    }

    private func paddedHeader(_ ordered: [Entry]) -> [UInt8] {
        var header = headerJSON(ordered)
        header.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        return header
    }

    private func headerJSON(_ ordered: [Entry]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }
            parts.append("\(Self.quoted(SafetensorsHeader.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for e in ordered {
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append("\(Self.quoted(e.name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],"
                         + "\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        return Array("{\(parts.joined(separator: ","))}".utf8)
    }

    /// A JSON string literal (tensor names and metadata in safetensors headers).
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The byte whose 8-bit float value is exactly `value`, if any.
    private static func exactFloat8Code(_ value: Float, _ dtype: SafetensorsDType) -> UInt8? {
        let decode = dtype == .f8E4M3 ? Float8.e4m3fnToFloat : Float8.e5m2ToFloat
        return (0...UInt8.max).first { code in
            let v = decode(code)
            return v == value && v.sign == value.sign
        }
    }
}
