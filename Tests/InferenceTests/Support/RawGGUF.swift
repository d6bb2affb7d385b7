// Hand-assembled and patched GGUF bytes, for malformed files GGUFWriter refuses to produce.
import Foundation
@testable import Inference

/// A GGUF file built field by field; nothing is checked, so any count, type or offset can be wrong.
struct RawGGUF {
    private(set) var writer = GGUFByteWriter()

    init(magic: String = "GGUF", version: UInt32 = 3, tensorCount: UInt64, keyCount: UInt64) {
        writer.append(raw: magic.utf8)
        writer.append(version)
        writer.append(tensorCount)
        writer.append(keyCount)
    }

    mutating func key(_ key: String, _ value: GGUFValue) { writer.append(key: key, value: value) }

    /// A metadata entry with an arbitrary type id and hand-written payload.
    mutating func key(_ key: String, typeID: UInt32, payload: (inout GGUFByteWriter) -> Void) {
        writer.append(string: key)
        writer.append(typeID)
        payload(&writer)
    }

    /// A tensor directory entry; `dims` are in file (ggml) order, fastest-varying first.
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        writer.append(string: name)
        writer.append(UInt32(dims.count))
        for d in dims { writer.append(d) }
        writer.append(type)
        writer.append(offset)
    }

    /// Pads to the data section and appends its bytes.
    mutating func data(_ bytes: [UInt8], alignment: Int = 32) {
        writer.pad(toMultipleOf: alignment)
        writer.append(raw: bytes)
    }

    var bytes: [UInt8] { writer.bytes }
}

extension Array where Element == UInt8 {
    /// Where `text`'s UTF-8 bytes first occur; the sample files use names that occur once.
    func offset(of text: String) -> Int? {
        let needle = Array(text.utf8)
        guard !needle.isEmpty, needle.count <= count else { return nil }
        return (0...(count - needle.count)).first { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Overwrites the bytes at `offset` with `value`, little-endian.
    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }

    mutating func patch(_ text: String, at offset: Int) {
        replaceSubrange(offset..<(offset + text.utf8.count), with: text.utf8)
    }
}

/// Writes candidate GGUF bytes to scratch files and reports what GGUFFile makes of them.
struct GGUFScratch {
    let directory: URL

    init() throws { directory = try Fixtures.temporaryDirectory() }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Opens `bytes` as a GGUF file named `name`; returns the file or the `GGUFError` it threw.
    func open(_ bytes: [UInt8], name: String = "sample.gguf") throws -> Result<GGUFFile, GGUFError> {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            return .success(try GGUFFile(path: path))
        } catch let error as GGUFError {
            return .failure(error)
        }
    }

    /// The `GGUFError` opening `bytes` throws, or nil when the file opens.
    func error(_ bytes: [UInt8], name: String = "sample.gguf") throws -> GGUFError? {
        if case .failure(let error) = try open(bytes, name: name) { return error }
        return nil
    }
}
