// Safetensors reader, writer and sharded index: round trips of every dtype and one typed error per malformed case.
import Foundation
import Quant
import Testing
@testable import Inference

@Suite final class SafetensorsTests {
    let dir: URL

    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    /// Writes an 8-byte length (the header's own unless `declaredLength` is given), the header, then `data`.
    func rawFile(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil,
                 name: String = "bad.safetensors") throws -> String {
        let headerBytes = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += headerBytes + data
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func entry(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    // MARK: round trips

    /// Values each dtype holds exactly, so the round trip must give them back bit for bit.
    static let exactValues: [SafetensorsDType: [Float]] = [
        .f64: [0.1, -2.5, 1e-30, 3.4e38, 0, -0.0],
        .f32: [0.1, -2.5, 1e-30, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0],
        .f16: [0.5, -2.25, 65504, 6.1035156e-05, 5.9604645e-08, 0],
        .bf16: [1, -2.5, 3.3895314e38, 0.0078125, -0.0, 256],
        .f8E4M3: [0, 1, -2, 0.5, 448, 0.001953125],
        .f8E5M2: [0, 1, -2, 0.75, 57344, 1.5258789e-05],
        .i64: [0, 1, -2, 3, 16_777_216, -100],
        .i32: [0, 1, -2, 3, 2_147_483_520, -100],
        .i16: [0, 1, -2, 3, 32767, -32768],
        .i8: [0, 1, -2, 3, 127, -128],
        .u64: [0, 1, 2, 3, 16_777_216, 100],
        .u32: [0, 1, 2, 3, 4_294_967_040, 100],
        .u16: [0, 1, 2, 3, 65535, 100],
        .u8: [0, 1, 2, 3, 255, 100],
        .bool: [0, 1, 1, 0, 0, 1],
    ]

    @Test func roundTripOfEveryDType() throws {
        let path = dir.appendingPathComponent("all.safetensors").path
        var writer = SafetensorsWriter(path: path, metadata: ["format": "pt", "note": "quote \" and \\ and \n"])
        for dtype in SafetensorsDType.allCases {
            try writer.add("t.\(dtype.rawValue)", shape: [2, 3], values: try #require(Self.exactValues[dtype]), as: dtype)
        }
        try writer.write()

        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "pt", "note": "quote \" and \\ and \n"])
        #expect(Set(file.tensorNames) == Set(SafetensorsDType.allCases.map { "t.\($0.rawValue)" }))
        for dtype in SafetensorsDType.allCases {
            let name = "t.\(dtype.rawValue)"
            #expect(file.tensorInfo(name)?.dtype == dtype)
            #expect(file.shape(of: name) == [2, 3])
            let back = try file.readFloats(name)
            let expected = try #require(Self.exactValues[dtype])
            #expect(back.map(\.bitPattern) == expected.map(\.bitPattern), "\(dtype)")
        }
    }

    @Test func halfTypesRoundToNearestEven() throws {
        let path = dir.appendingPathComponent("halves.safetensors").path
        let values: [Float] = [0.1, 1.0 / 3, -1e-3, 70000, 1 + 1.0 / 2048]
        var writer = SafetensorsWriter(path: path)
        try writer.add("h", shape: [5], values: values, as: .f16)
        try writer.add("b", shape: [5], values: values, as: .bf16)
        try writer.write()
        let file = try SafetensorsFile(path: path)
        #expect(try file.readFloats("h") == values.map { f16ToFloat(floatToF16($0)) })
        #expect(try file.readFloats("b") == values.map { bf16ToFloat(floatToBF16($0)) })
        #expect(try file.readFloats("h")[4] == 1)  // halfway between 1 and 1 + 2^-10 rounds to even
        #expect(try file.readFloats("h")[3] == .infinity)
    }

    /// The reference writer's layout, byte for byte: the header padded with spaces to 8 bytes, then the data.
    @Test func layoutMatchesTheReferenceWriter() throws {
        var writer = SafetensorsWriter(path: "unused")
        try writer.add("attn0", shape: [1, 1, 2, 3], values: [0, 1, 2, 3, 4, 5])
        let header = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"#
        #expect(header.utf8.count == 65)
        var expected: [UInt8] = [72, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + Array(repeating: 32, count: 7)
        for v: Float in [0, 1, 2, 3, 4, 5] { withUnsafeBytes(of: v.bitPattern.littleEndian) { expected += $0 } }
        #expect(writer.serialized() == expected)
    }

    /// Made by scripts/reference/make_safetensors_fixture.py with the reference library (torch dtypes).
    static let referenceFile = Fixtures.url("safetensors/reference-dtypes.safetensors").path
    static let referenceTensors: [String: (SafetensorsDType, [Int], [Float])] = [
        "f64": (.f64, [2, 2], [Float(0.1 as Double), -2.5, Float(1e-30 as Double), 3]),
        "f32": (.f32, [3], [0.1, -2.5, 1e-30]),
        "f16": (.f16, [4], [0.5, -2.25, 65504, 5.9604645e-08]),
        "bf16": (.bf16, [2, 2], [1, -2.5, 0.0078125, 256]),
        "f8_e4m3": (.f8E4M3, [3], [1, -2, 448]),
        "f8_e5m2": (.f8E5M2, [2], [0.75, -57344]),
        "i64": (.i64, [2], [-100, 16_777_216]),
        "i32": (.i32, [2, 1], [-7, 2_147_483_520]),
        "i16": (.i16, [3], [32767, -32768, 3]),
        "i8": (.i8, [3], [127, -128, 0]),
        "u8": (.u8, [5], [255, 0, 1, 2, 3]),
        "bool": (.bool, [3], [1, 0, 1]),
        "scalar": (.f32, [], [42]),
    ]

    @Test func readsTheReferenceWritersFile() throws {
        let file = try SafetensorsFile(path: Self.referenceFile)
        #expect(file.metadata == ["format": "pt"])
        #expect(Set(file.tensorNames) == Set(Self.referenceTensors.keys))
        for (name, (dtype, shape, values)) in Self.referenceTensors {
            #expect(file.tensorInfo(name)?.dtype == dtype, "\(name)")
            #expect(file.shape(of: name) == shape, "\(name)")
            #expect(try file.readFloats(name).map(\.bitPattern) == values.map(\.bitPattern), "\(name)")
        }
    }

    /// Same tensors and metadata in, same bytes out: header text, tensor order, offsets and padding.
    @Test func writerReproducesTheReferenceFileByteForByte() throws {
        let reference = try SafetensorsFile(path: Self.referenceFile)
        var writer = SafetensorsWriter(path: "unused", metadata: ["format": "pt"])
        for name in reference.tensorNames.sorted() {
            let (info, bytes) = try reference.rawData(name)
            try writer.add(name, shape: info.shape, dtype: info.dtype, rawBytes: Array(bytes))
            // Encoding from floats must give the reference's bytes too.
            if let (dtype, shape, values) = Self.referenceTensors[name], dtype != .f64 {
                var one = SafetensorsWriter(path: "unused")
                try one.add(name, shape: shape, values: values, as: dtype)
                #expect(one.serialized().suffix(bytes.count).elementsEqual(bytes), "\(name)")
            }
        }
        let expected = try Data(contentsOf: URL(fileURLWithPath: Self.referenceFile))
        #expect(writer.serialized() == Array(expected))
    }

    @Test func writeLeavesNoPartialFileBehind() throws {
        let path = dir.appendingPathComponent("clean.safetensors").path
        var writer = SafetensorsWriter(path: path)
        try writer.add("x", shape: [2], values: [1, 2])
        try writer.write()
        try writer.write()  // overwriting an existing file is fine
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["clean.safetensors"])
        #expect(try SafetensorsFile(path: path).readFloats("x") == [1, 2])
    }

    @Test func writerOrdersByElementSizeThenName() throws {
        let path = dir.appendingPathComponent("order.safetensors").path
        var writer = SafetensorsWriter(path: path)
        try writer.add("a", shape: [3], values: [1, 2, 3], as: .f16)
        try writer.add("c", shape: [1], values: [1], as: .f32)
        try writer.add("b", shape: [2], values: [1, 2], as: .f32)
        try writer.add("z", shape: [1], values: [7], as: .f64)
        try writer.write()
        let file = try SafetensorsFile(path: path)
        #expect(file.tensors.map(\.name) == ["z", "b", "c", "a"])
        #expect(file.tensors.map(\.begin) == [0, 8, 16, 20])
        #expect(file.dataOffset % 8 == 0)
    }

    @Test func writerRefusesBadInput() throws {
        let path = dir.appendingPathComponent("w.safetensors").path
        var writer = SafetensorsWriter(path: path)
        try writer.add("x", shape: [2], values: [1, 2])
        #expect(throws: SafetensorsError.duplicateTensor(file: path, tensor: "x")) {
            try writer.add("x", shape: [1], values: [1])
        }
        #expect(throws: SafetensorsError.valueCountMismatch(file: path, tensor: "y", shape: [2, 2], count: 3)) {
            try writer.add("y", shape: [2, 2], values: [1, 2, 3])
        }
        #expect(throws: SafetensorsError.valueNotRepresentable(file: path, tensor: "i", dtype: "I8", value: 1.5)) {
            try writer.add("i", shape: [1], values: [1.5], as: .i8)
        }
        #expect(throws: SafetensorsError.reservedName(file: path, tensor: "__metadata__")) {
            try writer.add("__metadata__", shape: [1], values: [1])
        }
        let nowhere = dir.appendingPathComponent("no/such/dir/w.safetensors").path
        var lost = SafetensorsWriter(path: nowhere)
        try lost.add("x", shape: [1], values: [1])
        let error = #expect(throws: SafetensorsError.self) { try lost.write() }
        guard case .cannotWrite(let file, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(file == nowhere)
    }

    @Test func emptyFileAndScalars() throws {
        let path = dir.appendingPathComponent("scalar.safetensors").path
        var writer = SafetensorsWriter(path: path)
        try writer.add("scalar", shape: [], values: [42])
        try writer.add("empty", shape: [0, 4], values: [])
        try writer.write()
        let file = try SafetensorsFile(path: path)
        #expect(try file.readFloats("scalar") == [42])
        #expect(try file.readFloats("empty") == [])
        #expect(file.shape(of: "empty") == [0, 4])
    }

    // MARK: malformed files

    @Test func headerTooLarge() throws {
        let path = try rawFile("{}", declaredLength: 100_000_001)
        #expect(throws: SafetensorsError.headerTooLarge(file: path, headerLength: 100_000_001, limit: 100_000_000)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func fileShorterThanTheLengthPrefix() throws {
        let path = dir.appendingPathComponent("tiny.safetensors").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.fileTooSmall(file: path, size: 3)) { try SafetensorsFile(path: path) }
    }

    @Test func truncatedHeader() throws {
        let path = try rawFile("{\"w\":{\"dtype\":", declaredLength: 200)
        #expect(throws: SafetensorsError.truncatedHeader(file: path, headerLength: 200, fileSize: 22)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func truncatedData() throws {
        let header = "{" + entry("a", "F32", [2], 0, 8) + "," + entry("w", "F32", [4], 8, 24) + "}"
        let path = try rawFile(header, data: Array(repeating: 0, count: 12))
        #expect(throws: SafetensorsError.truncatedData(file: path, tensor: "w", end: 24, dataSize: 12)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func trailingBytesAfterTheLastTensor() throws {
        let header = "{" + entry("w", "F32", [2], 0, 8) + "}"
        let path = try rawFile(header, data: Array(repeating: 0, count: 9))
        #expect(throws: SafetensorsError.trailingData(file: path, expectedSize: 8 + header.utf8.count + 8,
                                                      fileSize: 8 + header.utf8.count + 9)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func gapBetweenTensors() throws {
        let header = "{" + entry("b", "F32", [2], 12, 20) + "," + entry("a", "F32", [2], 0, 8) + "}"
        let path = try rawFile(header, data: Array(repeating: 0, count: 20))
        #expect(throws: SafetensorsError.dataGap(file: path, tensor: "b", expectedBegin: 8, begin: 12)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func dataNotStartingAtZero() throws {
        let path = try rawFile("{" + entry("only", "U8", [4], 4, 8) + "}", data: Array(repeating: 0, count: 8))
        #expect(throws: SafetensorsError.dataGap(file: path, tensor: "only", expectedBegin: 0, begin: 4)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func overlappingTensors() throws {
        let header = "{" + entry("a", "F32", [2], 0, 8) + "," + entry("b", "F32", [2], 4, 12) + "}"
        let path = try rawFile(header, data: Array(repeating: 0, count: 12))
        #expect(throws: SafetensorsError.overlappingTensors(file: path, first: "a", second: "b")) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func endBeforeBegin() throws {
        let header = "{" + entry("a", "F32", [2], 0, 8) + "," + entry("b", "F32", [0], 8, 4) + "}"
        let path = try rawFile(header, data: Array(repeating: 0, count: 8))
        #expect(throws: SafetensorsError.invalidOffsets(file: path, tensor: "b", begin: 8, end: 4)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func shapeDisagreesWithOffsets() throws {
        let path = try rawFile("{" + entry("w", "F32", [3], 0, 16) + "}", data: Array(repeating: 0, count: 16))
        #expect(throws: SafetensorsError.sizeMismatch(file: path, tensor: "w", dtype: "F32", shape: [3],
                                                      expectedBytes: 12, declaredBytes: 16)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func sizeOverflow() throws {
        let shape = [1 << 62, 4]
        let path = try rawFile("{" + entry("huge", "F32", shape, 0, 16) + "}", data: Array(repeating: 0, count: 16))
        #expect(throws: SafetensorsError.sizeOverflow(file: path, tensor: "huge", shape: shape)) {
            try SafetensorsFile(path: path)
        }
    }

    @Test func unknownDType() throws {
        let path = try rawFile("{" + entry("w", "F128", [1], 0, 16) + "}", data: Array(repeating: 0, count: 16))
        #expect(throws: SafetensorsError.unknownDType(file: path, tensor: "w", dtype: "F128")) {
            try SafetensorsFile(path: path)
        }
    }

    /// JSON parsers keep one of two equal keys; either way the file must be refused or read, never crash.
    @Test func duplicateTensorNames() throws {
        let header = "{" + entry("w", "F32", [1], 0, 4) + "," + entry("w", "F32", [1], 4, 8) + "}"
        let path = try rawFile(header, data: Array(repeating: 0, count: 8))
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
        switch error {
        case .duplicateTensor(path, "w"), .dataGap(path, "w", _, _), .trailingData(path, _, _), .invalidJSON(path, _): break
        default: Issue.record("got \(String(describing: error))")
        }
    }

    @Test func headerThatIsNotAnObject() throws {
        let path = try rawFile("[1, 2, 3]")
        #expect(throws: SafetensorsError.headerNotObject(file: path)) { try SafetensorsFile(path: path) }
    }

    @Test func headerThatIsNotJSON() throws {
        let path = try rawFile("{\"w\": {\"dtype\": \"F32\",")
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
        guard case .invalidJSON(let file, let reason) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(file == path)
        #expect(!reason.isEmpty)
    }

    @Test func headerThatIsNotUTF8() throws {
        let path = dir.appendingPathComponent("latin1.safetensors").path
        try Data([3, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0x7D]).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.headerNotUTF8(file: path)) { try SafetensorsFile(path: path) }
    }

    @Test func malformedTensorEntries() throws {
        let badOffsets = try rawFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, data: [0, 0, 0, 0], name: "o.safetensors")
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: badOffsets) }
        guard case .invalidTensorEntry(badOffsets, "w", "data_offsets", _) = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        let noShape = try rawFile(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], name: "s.safetensors")
        #expect(throws: SafetensorsError.invalidTensorEntry(file: noShape, tensor: "w", field: "shape", reason: "missing")) {
            try SafetensorsFile(path: noShape)
        }
        let negative = try rawFile(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0], name: "n.safetensors")
        let negativeError = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: negative) }
        guard case .invalidTensorEntry(negative, "w", "shape", _) = negativeError else {
            Issue.record("got \(String(describing: negativeError))"); return
        }
        let badMetadata = try rawFile(#"{"__metadata__":{"format":1}}"#, name: "m.safetensors")
        let metadataError = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: badMetadata) }
        guard case .invalidMetadata(badMetadata, "format", _) = metadataError else {
            Issue.record("got \(String(describing: metadataError))"); return
        }
    }

    @Test func missingTensorLookup() throws {
        let path = dir.appendingPathComponent("one.safetensors").path
        var writer = SafetensorsWriter(path: path)
        try writer.add("present", shape: [1], values: [1])
        try writer.write()
        let file = try SafetensorsFile(path: path)
        #expect(file.shape(of: "absent") == nil)
        #expect(throws: SafetensorsError.missingTensor(file: path, tensor: "absent")) { try file.rawData("absent") }
        #expect(throws: TensorSourceError.missingTensor(file: path, tensor: "absent")) {
            _ = try (file as any TensorSource).readFloats("absent")
        }
    }

    @Test func everyErrorNamesItsFile() {
        let errors: [SafetensorsError] = [
            .headerTooLarge(file: "F.safetensors", headerLength: 1, limit: 1),
            .dataGap(file: "F.safetensors", tensor: "T", expectedBegin: 0, begin: 4),
            .missingShard(index: "F.safetensors", shard: "S", tensor: "T"),
            .tensorNotInShard(index: "F.safetensors", tensor: "T", shard: "S"),
        ]
        for e in errors {
            #expect(e.description.contains("F.safetensors"))
            #expect(e.description.contains("\"T\"") || e.description.contains("header length"))
        }
    }

    // MARK: sharded checkpoints

    func writeShards(index: [String: String]) throws -> String {
        var one = SafetensorsWriter(path: dir.appendingPathComponent("model-00001-of-00002.safetensors").path)
        try one.add("a", shape: [2], values: [1, 2])
        try one.add("b", shape: [1, 3], values: [3, 4, 5], as: .bf16)
        try one.write()
        var two = SafetensorsWriter(path: dir.appendingPathComponent("model-00002-of-00002.safetensors").path)
        try two.add("c", shape: [1], values: [6], as: .f16)
        try two.write()
        let json = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 16], "weight_map": index])
        let path = dir.appendingPathComponent(ShardedSafetensors.indexFileName).path
        try json.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func shardedCheckpointReadsAcrossShards() throws {
        let path = try writeShards(index: ["a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
                                           "c": "model-00002-of-00002.safetensors"])
        let sharded = try ShardedSafetensors(indexPath: path)
        #expect(sharded.shards.count == 2)
        #expect(sharded.tensorNames == ["a", "b", "c"])
        #expect(sharded.shape(of: "b") == [1, 3])
        #expect(sharded.metadata["total_size"] == "16")
        #expect(try sharded.readFloats("a") == [1, 2])
        #expect(try sharded.readFloats("b") == [3, 4, 5])
        #expect(try sharded.readFloats("c") == [6])
        #expect(throws: SafetensorsError.missingTensor(file: path, tensor: "d")) {
            let destination = UnsafeMutablePointer<Float>.allocate(capacity: 1)
            defer { destination.deallocate() }
            try sharded.readFloats("d", into: destination)
        }
    }

    @Test func indexNamingAMissingShard() throws {
        let path = try writeShards(index: ["a": "model-00001-of-00002.safetensors", "z": "model-00003-of-00003.safetensors"])
        #expect(throws: SafetensorsError.missingShard(index: path, shard: "model-00003-of-00003.safetensors", tensor: "z")) {
            try ShardedSafetensors(indexPath: path)
        }
    }

    @Test func indexMappingATensorItsShardLacks() throws {
        let path = try writeShards(index: ["a": "model-00001-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"])
        #expect(throws: SafetensorsError.tensorNotInShard(index: path, tensor: "c", shard: "model-00001-of-00002.safetensors")) {
            try ShardedSafetensors(indexPath: path)
        }
    }

    @Test func indexPointingOutsideItsFolder() throws {
        let path = try writeShards(index: ["a": "../elsewhere.safetensors"])
        #expect(throws: SafetensorsError.unsafeShardPath(index: path, shard: "../elsewhere.safetensors")) {
            try ShardedSafetensors(indexPath: path)
        }
    }

    @Test func indexWithoutWeightMap() throws {
        let path = dir.appendingPathComponent(ShardedSafetensors.indexFileName).path
        try Data(#"{"metadata": {}}"#.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SafetensorsError.self) { try ShardedSafetensors(indexPath: path) }
        guard case .invalidIndex(path, _) = error else { Issue.record("got \(String(describing: error))"); return }
    }
}
