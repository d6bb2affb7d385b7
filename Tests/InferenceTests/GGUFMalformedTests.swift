// Every kind of broken GGUF file must end in its own GGUFError naming the file and the field or tensor, never a crash.
import Foundation
import Testing
@testable import Inference
import Quant

/// A small valid file (four metadata entries, a Q8_0 and an F32 tensor) that the tests cut and patch.
/// Names are distinct byte strings so `offset(of:)` finds each field.
private struct SampleFile {
    static let q8Bytes = 68  // tensor.one: Q8_0 [2, 32] = 2 blocks of 34 bytes
    let writer: GGUFWriter
    let bytes: [UInt8]

    init() throws {
        var w = GGUFWriter()
        try w.setMetadata("general.architecture", .string("llama"))
        try w.setMetadata("sample.first", .uint32(2))
        try w.setMetadata("sample.other", .uint32(3))
        try w.setMetadata("tokenizer.ggml.tokens", .array([.string("hello"), .string("world")]))
        try w.addTensor("tensor.one", shape: [2, 32], type: .q8_0, bytes: [UInt8](repeating: 1, count: Self.q8Bytes))
        try w.addTensor("tensor.two", shape: [3], floats: [1, 2, 3])
        writer = w
        bytes = w.serialized()
    }

    var dataOffset: Int { writer.headerBytes().count }
    /// Where tensor.two's 12 bytes end (the file continues with padding).
    var dataEnd: Int { dataOffset + 96 + 12 }

    /// Byte offsets of a directory entry's fields.
    func entry(_ name: String, dims: Int) throws -> (dims: Int, type: Int, offset: Int) {
        let start = try #require(bytes.offset(of: name)) + name.utf8.count + 4
        return (start, start + 8 * dims, start + 8 * dims + 4)
    }

    func patched(_ change: (inout [UInt8]) throws -> Void) rethrows -> [UInt8] {
        var copy = bytes
        try change(&copy)
        return copy
    }
}

// A class so that each test's scratch directory is removed in deinit, however the test ends.
@Suite final class GGUFMalformedTests: Sendable {
    private let scratch: GGUFScratch
    private let sample: SampleFile
    private var path: String { scratch.path("sample.gguf") }

    init() throws {
        scratch = try GGUFScratch()
        sample = try SampleFile()
    }

    deinit { scratch.remove() }

    @Test func sampleIsValid() throws {
        let file = try scratch.open(sample.bytes).get()
        #expect(file.tensors.map(\.name) == ["tensor.one", "tensor.two"])
    }

    @Test func badMagic() throws {
        let wrong = sample.patched { $0.patch("GGUX", at: 0) }
        #expect(try scratch.error(wrong) == .badMagic(file: path, found: "\"GGUX\""))
        let binary = sample.patched { $0.patch(UInt32(0x0001_0203), at: 0) }
        #expect(try scratch.error(binary) == .badMagic(file: path, found: "\"????\""))
    }

    @Test(arguments: [UInt32(0), 1, 4, 0xFFFF_FFFF])
    func unsupportedVersion(version: UInt32) throws {
        let bytes = sample.patched { $0.patch(version, at: 4) }
        #expect(try scratch.error(bytes) == .unsupportedVersion(file: path, version: version))
    }

    @Test func emptyFileIsTruncatedAtTheMagic() throws {
        #expect(try scratch.error([]) == .truncated(file: path, offset: 0, reading: "the magic number"))
    }

    @Test func everyPrefixFailsCleanly() throws {
        // Cutting anywhere before the last tensor's final byte must be reported, as truncation of the header or
        // as a tensor running past the end of the file.
        let directoryEnd = try sample.entry("tensor.two", dims: 1).offset + 8
        for length in 0..<sample.dataEnd {
            let error = try scratch.error(Array(sample.bytes[..<length]))
            switch error {
            case .truncated(let f, let offset, _)?:
                #expect(f == path && offset == length)
            case .tensorOutOfRange(let f, let tensor, _, let size)?:
                #expect(f == path && size == length && tensor.hasPrefix("tensor."))
                #expect(length >= directoryEnd, "a cut inside the header must be truncation, not \(tensor) out of range")
            default:
                Issue.record("cut at \(length) of \(sample.bytes.count) bytes gave \(String(describing: error))")
            }
        }
        #expect(try scratch.error(Array(sample.bytes[..<sample.dataEnd])) == nil, "trailing padding is optional")
    }

    @Test func truncationNamesWhatWasBeingRead() throws {
        func cut(_ length: Int) throws -> GGUFError? { try scratch.error(Array(sample.bytes[..<length])) }

        #expect(try cut(10) == .truncated(file: path, offset: 10, reading: "the tensor count"))
        let thirdKey = try #require(sample.bytes.offset(of: "sample.other")) + 3
        #expect(try cut(thirdKey) == .truncated(file: path, offset: thirdKey, reading: "metadata key 3 of 4"))
        let value = try #require(sample.bytes.offset(of: "llama")) + 2
        #expect(try cut(value) == .truncated(file: path, offset: value, reading: "the value of \"general.architecture\""))
        let element = try #require(sample.bytes.offset(of: "world")) + 2
        #expect(try cut(element) == .truncated(file: path, offset: element, reading: "an array element of \"tokenizer.ggml.tokens\""))
        let afterCount = try #require(sample.bytes.offset(of: "hello")) - 8
        #expect(try cut(afterCount) == .truncated(file: path, offset: afterCount, reading: "the 2 elements of \"tokenizer.ggml.tokens\""))
        let shape = try sample.entry("tensor.two", dims: 1).dims + 3
        #expect(try cut(shape) == .truncated(file: path, offset: shape, reading: "the shape of \"tensor.two\""))
        let data = sample.dataEnd - 4
        #expect(try cut(data) == .tensorOutOfRange(file: path, tensor: "tensor.two", end: sample.dataEnd, fileSize: data))
    }

    @Test func unknownMetadataValueType() throws {
        let typeAt = try #require(sample.bytes.offset(of: "sample.first")) + "sample.first".utf8.count
        let bytes = sample.patched { $0.patch(UInt32(13), at: typeAt) }
        #expect(try scratch.error(bytes) == .unknownValueType(file: path, key: "sample.first", type: 13))

        // An array's element type is checked before its elements, even when there are none.
        let elementTypeAt = try #require(sample.bytes.offset(of: "tokenizer.ggml.tokens")) + "tokenizer.ggml.tokens".utf8.count + 4
        let array = sample.patched { $0.patch(UInt32(99), at: elementTypeAt); $0.patch(UInt64(0), at: elementTypeAt + 4) }
        #expect(try scratch.error(array) == .unknownValueType(file: path, key: "tokenizer.ggml.tokens", type: 99))
    }

    @Test func duplicateKey() throws {
        let bytes = try sample.patched { $0.patch("sample.first", at: try #require($0.offset(of: "sample.other"))) }
        #expect(try scratch.error(bytes) == .duplicateKey(file: path, key: "sample.first"))
    }

    @Test func duplicateTensor() throws {
        let bytes = try sample.patched { $0.patch("tensor.one", at: try #require($0.offset(of: "tensor.two"))) }
        #expect(try scratch.error(bytes) == .duplicateTensor(file: path, tensor: "tensor.one"))
    }

    @Test func tooManyDimensions() throws {
        var raw = RawGGUF(tensorCount: 1, keyCount: 0)
        raw.tensor("five.d", dims: [1, 1, 1, 1, 1], type: GGMLType.f32.rawValue, offset: 0)
        raw.data([0, 0, 0, 0])
        #expect(try scratch.error(raw.bytes) == .tooManyDimensions(file: path, tensor: "five.d", dimensions: 5))
    }

    @Test(arguments: [UInt32(4), 5, 31, 99, 0xFFFF_FFFF])
    func unknownTensorType(type: UInt32) throws {
        let typeAt = try sample.entry("tensor.two", dims: 1).type
        let bytes = sample.patched { $0.patch(type, at: typeAt) }
        #expect(try scratch.error(bytes) == .unknownTensorType(file: path, tensor: "tensor.two", type: type))
    }

    @Test func zeroDimension() throws {
        let dimsAt = try sample.entry("tensor.one", dims: 2).dims
        let bytes = sample.patched { $0.patch(UInt64(0), at: dimsAt + 8) }
        let error = try scratch.error(bytes)
        guard case .badShape(path, "tensor.one", [32, 0], _)? = error else {
            Issue.record("expected badShape for tensor.one, got \(String(describing: error))")
            return
        }
    }

    @Test(arguments: [
        [UInt64(1) << 31],                               // one dimension past 2^31 - 1
        [UInt64(Int32.max), UInt64(Int32.max), UInt64(Int32.max)],  // element count overflows Int
        [UInt64(Int32.max), UInt64(Int32.max), 2],       // count fits, f32 byte size does not
    ])
    func overflowingDimensions(dims: [UInt64]) throws {
        var raw = RawGGUF(tensorCount: 1, keyCount: 0)
        raw.tensor("huge", dims: dims, type: GGMLType.f32.rawValue, offset: 0)
        raw.data([0, 0, 0, 0])
        let error = try scratch.error(raw.bytes)
        guard case .badShape(path, "huge", dims, _)? = error else {
            Issue.record("expected badShape for huge \(dims), got \(String(describing: error))")
            return
        }
    }

    @Test func hugeTensorAtAHugeOffsetIsOutOfRangeNotAnOverflow() throws {
        // Size and offset each pass their own checks but their sum overflows Int.
        var raw = RawGGUF(tensorCount: 1, keyCount: 0)
        raw.tensor("far", dims: [UInt64(Int32.max), UInt64(Int32.max), 2], type: GGMLType.i8.rawValue, offset: UInt64(Int.max / 2) & ~31)
        raw.data([0])
        let size = raw.bytes.count
        #expect(try scratch.error(raw.bytes) == .tensorOutOfRange(file: path, tensor: "far", end: Int.max, fileSize: size))
    }

    @Test func rowsNotAMultipleOfTheBlockSize() throws {
        // 48 × 2 = 96 values is three whole Q8_0 blocks, but a 48-value row would split a block.
        let dimsAt = try sample.entry("tensor.one", dims: 2).dims
        let bytes = sample.patched { $0.patch(UInt64(48), at: dimsAt) }
        let error = try scratch.error(bytes)
        guard case .badShape(path, "tensor.one", [48, 2], let reason)? = error else {
            Issue.record("expected badShape for tensor.one, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("multiple of 32"))
    }

    @Test func misalignedOffset() throws {
        let offsetAt = try sample.entry("tensor.two", dims: 1).offset
        let bytes = sample.patched { $0.patch(UInt64(100), at: offsetAt) }
        #expect(try scratch.error(bytes) == .misalignedTensor(file: path, tensor: "tensor.two", offset: 100, alignment: 32))
    }

    @Test func tensorPastTheEndOfTheFile() throws {
        let offsetAt = try sample.entry("tensor.two", dims: 1).offset
        let bytes = sample.patched { $0.patch(UInt64(1 << 20), at: offsetAt) }
        let end = sample.dataOffset + (1 << 20) + 12
        #expect(try scratch.error(bytes) == .tensorOutOfRange(file: path, tensor: "tensor.two", end: end, fileSize: bytes.count))
    }

    @Test func overlappingTensors() throws {
        // tensor.one covers data bytes 0..<68; moving tensor.two to 64 makes them share bytes 64..<68.
        let offsetAt = try sample.entry("tensor.two", dims: 1).offset
        let bytes = sample.patched { $0.patch(UInt64(64), at: offsetAt) }
        #expect(try scratch.error(bytes) == .overlappingTensors(file: path, first: "tensor.one", second: "tensor.two"))
    }

    @Test(arguments: [UInt32(0), 3, 48, 0x8000_0001])
    func badAlignment(alignment: UInt32) throws {
        var raw = RawGGUF(tensorCount: 0, keyCount: 1)
        raw.key("general.alignment", .uint32(alignment))
        #expect(try scratch.error(raw.bytes) == .badAlignment(file: path, alignment: alignment))
    }

    @Test func alignmentOfTheWrongType() throws {
        var raw = RawGGUF(tensorCount: 0, keyCount: 1)
        raw.key("general.alignment", .uint64(32))
        #expect(try scratch.error(raw.bytes) == .wrongKeyType(file: path, key: "general.alignment", expected: "a u32", found: "u64"))
    }

    @Test func arrayCountLargerThanTheFile() throws {
        let countAt = try #require(sample.bytes.offset(of: "hello")) - 16
        let bytes = sample.patched { $0.patch(UInt64(1) << 40, at: countAt) }
        #expect(try scratch.error(bytes) == .truncated(file: path, offset: bytes.count,
                                                       reading: "the 1099511627776 elements of \"tokenizer.ggml.tokens\""))
    }

    @Test func stringLengthLargerThanTheFile() throws {
        let lengthAt = try #require(sample.bytes.offset(of: "llama")) - 8
        let bytes = sample.patched { $0.patch(UInt64.max, at: lengthAt) }
        #expect(try scratch.error(bytes) == .truncated(file: path, offset: bytes.count, reading: "the value of \"general.architecture\""))
    }

    @Test func deeplyNestedArrays() throws {
        // Arrays of arrays are legal a few levels deep; a chain of thousands would overflow the stack.
        func nested(_ depth: Int) -> RawGGUF {
            var raw = RawGGUF(tensorCount: 0, keyCount: 1)
            raw.key("nested", typeID: 9) { w in
                for _ in 0..<(depth - 1) { w.append(UInt32(9)); w.append(UInt64(1)) }
                w.append(UInt32(0)); w.append(UInt64(1)); w.append(UInt8(7))
            }
            return raw
        }
        let ok = try scratch.open(nested(GGUFByteReader.maxArrayNesting + 1).bytes).get()
        #expect(ok.metadata["nested"] != nil)
        #expect(try scratch.error(nested(GGUFByteReader.maxArrayNesting + 2).bytes)
                == .arrayTooDeep(file: path, key: "nested", depth: GGUFByteReader.maxArrayNesting + 1))
        #expect(try scratch.error(nested(100_000).bytes)
                == .arrayTooDeep(file: path, key: "nested", depth: GGUFByteReader.maxArrayNesting + 1))
    }

    @Test func typedAccessorsNameTheKey() throws {
        let file = try scratch.open(sample.bytes).get()
        #expect(try file.int("sample.first") == 2)
        #expect(throws: GGUFError.missingKey(file: path, key: "llama.block_count")) { try file.int("llama.block_count") }
        #expect(throws: GGUFError.missingKey(file: path, key: "nope")) { try file.string("nope") }
        #expect(throws: GGUFError.wrongKeyType(file: path, key: "general.architecture", expected: "an integer", found: "string")) {
            try file.int("general.architecture")
        }
        #expect(throws: GGUFError.wrongKeyType(file: path, key: "general.architecture", expected: "a number", found: "string")) {
            try file.double("general.architecture")
        }
        #expect(throws: GGUFError.wrongKeyType(file: path, key: "sample.first", expected: "a string", found: "u32")) {
            try file.string("sample.first")
        }
        #expect(throws: GGUFError.wrongKeyType(file: path, key: "sample.first", expected: "an array of strings", found: "u32")) {
            try file.stringArray("sample.first")
        }
        #expect(throws: GGUFError.wrongKeyType(file: path, key: "tokenizer.ggml.tokens", expected: "an array of integers", found: "array of string")) {
            try file.intArray("tokenizer.ggml.tokens")
        }
    }

    @Test func missingTensor() throws {
        let file = try scratch.open(sample.bytes).get()
        #expect(throws: GGUFError.missingTensor(file: path, tensor: "output.weight")) { try file.rawData("output.weight") }
        #expect(throws: GGUFError.missingTensor(file: path, tensor: "output.weight")) { try file.dequantize("output.weight") }
    }

    @Test func messagesNameTheFileAndTheField() throws {
        let typeAt = try sample.entry("tensor.two", dims: 1).type
        let error = try #require(try scratch.error(sample.patched { $0.patch(UInt32(99), at: typeAt) }))
        #expect(error.description.contains(path) && error.description.contains("\"tensor.two\"") && error.description.contains("99"))
    }
}
