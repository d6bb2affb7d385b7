// GGUFWriter output read back by GGUFFile (every value type, several tensor types, non-default alignment),
// a copy of the real model, and what the writer refuses.
import Foundation
import Testing
@testable import Inference
import Quant

@Suite final class GGUFWriterTests: Sendable {
    private let scratch: GGUFScratch

    init() throws { scratch = try GGUFScratch() }

    deinit { scratch.remove() }

    static let everyValueType: [(String, GGUFValue)] = [
        ("v.u8", .uint8(200)), ("v.i8", .int8(-100)), ("v.u16", .uint16(60_000)), ("v.i16", .int16(-30_000)),
        ("v.u32", .uint32(4_000_000_000)), ("v.i32", .int32(-2_000_000_000)), ("v.f32", .float32(-1.5e-7)),
        ("v.true", .bool(true)), ("v.false", .bool(false)), ("v.string", .string("héllo ✓ 世界")), ("v.empty", .string("")),
        ("v.u64", .uint64(.max)), ("v.i64", .int64(.min)), ("v.f64", .float64(.pi)),
        ("general.alignment", .uint32(64)),
        ("a.strings", .array([.string("a"), .string(""), .string("Ġthe")])), ("a.i32", .array([.int32(-1), .int32(7)])),
        ("a.f32", .array([.float32(0.5), .float32(-0.0)])), ("a.bool", .array([.bool(true), .bool(false)])),
        ("a.u64", .array([.uint64(1 << 40)])), ("a.f64", .array([.float64(1e300)])), ("a.empty", .array([])),
        ("a.nested", .array([.array([.uint8(1), .uint8(2)]), .array([.string("x")]), .array([])])),
    ]

    /// Encoded bytes with a recognisable pattern; the round trip compares bytes, not decoded values.
    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    @Test func roundTripsMetadataAndTensors() throws {
        var writer = GGUFWriter()
        for (key, value) in Self.everyValueType { try writer.setMetadata(key, value) }
        let floats: [Float] = [1, -2.5, 0, .infinity, -0.0, .leastNonzeroMagnitude]
        try writer.addTensor("f32.values", shape: [2, 3], floats: floats)
        try writer.addTensor("q8_0.raw", shape: [3, 64], type: .q8_0, bytes: Self.pattern(6 * 34, seed: 1))
        try writer.addTensor("q4_K.raw", shape: [1, 256], type: .q4_K, bytes: Self.pattern(144, seed: 2))
        try writer.addTensor("q6_K.raw", shape: [2, 1, 256], type: .q6_K, bytes: Self.pattern(2 * 210, seed: 3))
        try writer.addTensor("f16.raw", shape: [5], type: .f16, bytes: Self.pattern(10, seed: 4))
        try writer.addTensor("i32.raw", shape: [1, 1, 1, 3], type: .i32, bytes: Self.pattern(12, seed: 5))
        let path = scratch.path("round-trip.gguf")
        try writer.write(to: path)

        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == writer.serialized())
        let file = try GGUFFile(path: path)
        #expect(file.version == 3)
        #expect(file.metadataKeys == Self.everyValueType.map(\.0))
        for (key, value) in Self.everyValueType { #expect(file.metadata[key] == value, "\(key)") }
        #expect(file.alignment == 64 && file.dataOffset % 64 == 0)
        let expected: [(String, [Int], GGMLType, Int)] = [
            ("f32.values", [2, 3], .f32, 24), ("q8_0.raw", [3, 64], .q8_0, 204), ("q4_K.raw", [1, 256], .q4_K, 144),
            ("q6_K.raw", [2, 1, 256], .q6_K, 420), ("f16.raw", [5], .f16, 10), ("i32.raw", [1, 1, 1, 3], .i32, 12),
        ]
        #expect(file.tensors.map(\.name) == expected.map(\.0))
        for ((name, shape, type, byteCount), seed) in zip(expected, UInt8(0)...) {
            let info = try #require(file.tensorInfo(name))
            #expect(info.shape == shape && info.type == type && info.byteCount == byteCount && info.offset % 64 == 0, "\(name)")
            if seed > 0 { #expect([UInt8](try file.rawData(name).bytes) == Self.pattern(byteCount, seed: seed), "\(name)") }
        }
        #expect(try file.dequantize("f32.values").map(\.bitPattern) == floats.map(\.bitPattern))
    }

    @Test func emptyFileRoundTrips() throws {
        let path = scratch.path("empty.gguf")
        try GGUFWriter().write(to: path)
        let file = try GGUFFile(path: path)
        #expect(file.metadata.isEmpty && file.tensors.isEmpty && file.alignment == 32)
    }

    @Test func copiesTheDefaultModel() throws {
        try #require(FileManager.default.fileExists(atPath: Fixtures.smolLM2GGUF), "run scripts/setup.sh to fetch the default model")
        let source = try GGUFFile(path: Fixtures.smolLM2GGUF)
        var writer = GGUFWriter()
        for key in source.metadataKeys { try writer.setMetadata(key, try #require(source.metadata[key])) }
        for t in source.tensors { try writer.addTensor(t.name, shape: t.shape, type: t.type, bytes: try source.rawData(t.name).bytes) }
        let path = scratch.path("copy.gguf")
        try writer.write(to: path)

        let copy = try GGUFFile(path: path)
        #expect(copy.metadataKeys == source.metadataKeys)
        #expect(copy.metadata == source.metadata)
        #expect(copy.tensors.map(\.name) == source.tensors.map(\.name))
        #expect(copy.tensors.map(\.shape) == source.tensors.map(\.shape))
        #expect(copy.tensors.map(\.type) == source.tensors.map(\.type))
        for t in source.tensors {
            let a = try source.rawData(t.name).bytes, b = try copy.rawData(t.name).bytes
            #expect(a.count == b.count && memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0, "\(t.name)")
        }
    }

    @Test func refusesWhatItCannotWrite() throws {
        var writer = GGUFWriter()
        try writer.setMetadata("k", .uint8(1))
        #expect(throws: GGUFWriterError.duplicateKey(key: "k")) { try writer.setMetadata("k", .uint8(2)) }
        #expect(throws: GGUFWriterError.mixedArray(key: "m", elementTypes: ["u8", "string"])) {
            try writer.setMetadata("m", .array([.uint8(1), .string("x"), .uint8(2)]))
        }
        #expect(throws: GGUFWriterError.mixedArray(key: "n", elementTypes: ["i32", "f32"])) {
            try writer.setMetadata("n", .array([.array([.int32(1), .float32(2)])]))
        }
        for bad: GGUFValue in [.uint32(0), .uint32(48), .uint64(32), .string("32")] {
            #expect(throws: GGUFWriterError.badAlignment(value: bad)) { try writer.setMetadata("general.alignment", bad) }
        }
        #expect(writer.alignment == 32 && writer.metadataKeys == ["k"], "refused entries must leave the writer unchanged")

        try writer.addTensor("t", shape: [1], floats: [0])
        #expect(throws: GGUFWriterError.duplicateTensor(tensor: "t")) { try writer.addTensor("t", shape: [1], floats: [0]) }
        let long = String(repeating: "x", count: 64)
        #expect(throws: GGUFWriterError.tensorNameTooLong(tensor: long, bytes: 64)) { try writer.addTensor(long, shape: [1], floats: [0]) }
        try writer.addTensor(String(repeating: "y", count: 63), shape: [1], floats: [0])
        for shape in [[], [1, 1, 1, 1, 1], [0, 4], [-1], [Int(Int32.max) + 1]] {
            let error = #expect(throws: GGUFWriterError.self) { try writer.addTensor("s", shape: shape, type: .f32, bytes: []) }
            guard case .badShape("s", shape, _)? = error else { Issue.record("\(shape): \(String(describing: error))"); continue }
        }
        let rows = #expect(throws: GGUFWriterError.self) { try writer.addTensor("q", shape: [2, 48], type: .q8_0, bytes: []) }
        #expect(rows?.description.contains("multiple of 32") == true)
        #expect(throws: GGUFWriterError.sizeMismatch(tensor: "q", type: .q8_0, shape: [2, 64], expectedBytes: 136, gotBytes: 135)) {
            try writer.addTensor("q", shape: [2, 64], type: .q8_0, bytes: [UInt8](repeating: 0, count: 135))
        }
        #expect(writer.tensorCount == 2)

        let missingDir = scratch.path("no/such/dir/out.gguf")
        let error = #expect(throws: GGUFWriterError.self) { try writer.write(to: missingDir) }
        guard case .cannotWrite(missingDir, _)? = error else { Issue.record("got \(String(describing: error))"); return }
    }
}
