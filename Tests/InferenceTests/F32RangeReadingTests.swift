// Slices of f32 tensors read with pread (the merge's input path) against the whole-tensor decode.
import Foundation
import Testing
@testable import Inference

@Suite final class F32RangeReadingTests {
    let dir: URL

    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    @Test func slicesEqualTheDecodedTensor() throws {
        let path = dir.appendingPathComponent("m.safetensors").path
        var writer = SafetensorsWriter(path: path)
        let values = (0..<37).map { Float($0) * 0.25 - 3 }
        try writer.add("w", shape: [37], values: values)
        try writer.add("h", shape: [4], values: [1, 2, 3, 4], as: .f16)
        try writer.write()
        let file = try SafetensorsFile(path: path)
        #expect(file.storesF32("w") && !file.storesF32("h") && !file.storesF32("missing"))
        for range in [0..<37, 0..<1, 5..<18, 36..<37, 10..<10] {
            var out = [Float](repeating: .nan, count: range.count)
            try out.withUnsafeMutableBufferPointer { try file.readF32("w", elements: range, into: $0.baseAddress!) }
            #expect(out == Array(values[range]), "\(range)")
        }
    }

    @Test func aFileCutShortWhileOpenIsAReadError() throws {
        let path = dir.appendingPathComponent("cut.bin").path
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: path))
        let file = try MappedFile(path: path)
        var bytes = [UInt8](repeating: 0, count: 10)
        try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 90) }
        #expect(bytes == [UInt8](repeating: 7, count: 10))
        #expect(throws: MappedFileError.cannotRead(file: path, offset: 100, reason: "the file ends there (it was truncated while open)")) {
            try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 95) }
        }
    }
}
