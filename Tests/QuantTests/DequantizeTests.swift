// Dequantizers against gguf-py's decoding of the same bytes (Tests/Fixtures/dequant, made by
// scripts/goldens/make_dequant_fixture.py), odd sizes, and the size and type errors.
import Foundation
import Testing
@testable import Quant

/// One type's golden sample: the encoded bytes and gguf-py's f32 values for them.
struct DequantGolden {
    struct Manifest: Decodable {
        struct Entry: Decodable { let type: String; let ggmlType: UInt32; let count: Int; let bytes: Int; let source: String }
        let types: [Entry]
    }

    let type: GGMLType
    let raw: [UInt8]
    let expected: [Float]
    let source: String

    static func load(_ type: GGMLType) throws -> DequantGolden {
        let manifest = try JSONDecoder().decode(Manifest.self, from: QuantFixtures.data("dequant/manifest.json"))
        let entry = try #require(manifest.types.first { $0.ggmlType == type.rawValue }, "no golden for \(type) in manifest.json")
        let raw = [UInt8](try QuantFixtures.data("dequant/\(entry.type).raw"))
        let floats = try QuantFixtures.data("dequant/\(entry.type).f32")
        let expected = floats.withUnsafeBytes { bytes in
            (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        try #require(raw.count == entry.bytes && expected.count == entry.count, "\(entry.type) fixture files disagree with manifest.json")
        return DequantGolden(type: type, raw: raw, expected: expected, source: entry.source)
    }
}

/// Decodes the first `count` values of `raw`; the slot after them holds a sentinel that must survive.
private func dequantize(_ type: GGMLType, _ raw: [UInt8], count: Int) throws -> [Float] {
    let sentinel = Float(bitPattern: 0x7FC0_1234)
    var out = [Float](repeating: sentinel, count: count + 1)
    try raw.withUnsafeBytes { source in
        try out.withUnsafeMutableBufferPointer { try Dequantizer.dequantize(type, source: source, count: count, into: $0.baseAddress!) }
    }
    #expect(out[count].bitPattern == sentinel.bitPattern, "\(type): wrote past \(count) values")
    return Array(out[..<count])
}

/// Compares bit patterns, so signed zeros and infinities must match too; reports the first few differences.
private func expectBitExact(_ got: [Float], _ expected: ArraySlice<Float>, _ label: String) {
    #expect(got.count == expected.count)
    let differing = zip(got.indices, zip(got, expected)).filter { $0.1.0.bitPattern != $0.1.1.bitPattern }
    let firstFew = differing.prefix(3).map { "[\($0.0)] \($0.1.0) != \($0.1.1)" }
    let differingCount = differing.count
    #expect(differingCount == 0, "\(label): \(differingCount) values differ, first: \(firstFew)")
}

@Suite struct DequantizeTests {
    // gguf-py rounds every product to f32 exactly as our scalar code does, so every supported type must match
    // bit for bit; a kernel that fuses multiply-adds would need a named tolerance here instead.

    @Test(arguments: Dequantizer.supported)
    func matchesGGUFPyBitForBit(type: GGMLType) throws {
        let golden = try DequantGolden.load(type)
        let got = try dequantize(type, golden.raw, count: golden.expected.count)
        expectBitExact(got, golden.expected[...], "\(type) (\(golden.source))")
    }

    @Test(arguments: Dequantizer.supported)
    func oddSizesDecodeTheirPrefix(type: GGMLType) throws {
        let golden = try DequantGolden.load(type)
        // Plain types take any count; block types take whole blocks, so odd counts are odd numbers of blocks.
        let counts = type.blockSize == 1 ? [1, 3, 7, 31, 33, 255, 257] : [1, 3, 7].map { $0 * type.blockSize }
        for count in counts {
            let bytes = try #require(type.byteCount(elements: count))
            let got = try dequantize(type, Array(golden.raw[..<bytes]), count: count)
            expectBitExact(got, golden.expected[..<count], "\(type) × \(count)")
        }
    }

    @Test func zeroValuesIsANoOp() throws {
        for type in Dequantizer.supported {
            #expect(try dequantize(type, [], count: 0) == [])
        }
    }

    @Test(arguments: [GGMLType.q8_0, .q4_0, .q4_1, .q4_K, .q6_K])
    func partialBlockIsASizeMismatch(type: GGMLType) throws {
        let raw = [UInt8](repeating: 0, count: 4 * type.blockBytes)
        let count = type.blockSize + 1
        #expect(throws: DequantizeError.sizeMismatch(type: type, elements: count, bytes: raw.count)) {
            _ = try dequantize(type, raw, count: count)
        }
    }

    @Test(arguments: Dequantizer.supported)
    func shortSourceIsASizeMismatch(type: GGMLType) throws {
        let count = 2 * type.blockSize
        let raw = [UInt8](repeating: 0, count: 2 * type.blockBytes - 1)
        let error = #expect(throws: DequantizeError.sizeMismatch(type: type, elements: count, bytes: raw.count)) {
            _ = try dequantize(type, raw, count: count)
        }
        #expect(error?.description.contains("\(2 * type.blockBytes)") == true, "the message should say how many bytes are needed")
    }

    @Test func unsupportedTypesAreRefusedByName() throws {
        let unsupported = GGMLType.allCases.filter { !Dequantizer.supported.contains($0) }
        #expect(!unsupported.isEmpty)
        for type in unsupported {
            let raw = [UInt8](repeating: 0, count: type.blockBytes)
            let error = #expect(throws: DequantizeError.unsupportedType(type)) {
                _ = try dequantize(type, raw, count: type.blockSize)
            }
            #expect(error?.description.contains(type.description) == true)
        }
    }
}
