// The int8 block quantizer: round-trip error within half a step, exact zeros, and the typed error on ragged rows.
import Testing
@testable import Quant

/// Round-to-nearest leaves at most half a quantization step per value; the slack covers x·(1/scale) rounding in f32.
let quantizationErrorInSteps: Float = 0.5 + 1e-5

@Suite struct Int8QuantizeTests {
    @Test(arguments: [1, 3, 7, 33])
    func roundTripErrorIsAtMostHalfAStep(blocks: Int) throws {
        var random = SeededRandom(seed: UInt64(blocks))
        let rows = 5, columns = blocks * Int8Matrix.blockSize
        let x = random.floats(rows * columns, scale: 3)
        let m = try x.withUnsafeBufferPointer { try Int8Matrix(quantizing: $0.baseAddress!, rows: rows, columns: columns) }
        var back = [Float](repeating: 0, count: columns)
        for r in 0..<rows {
            back.withUnsafeMutableBufferPointer { m.dequantize(row: r, into: $0.baseAddress!) }
            for b in 0..<blocks {
                let scale = m.scales[r * blocks + b]
                let block = (b * 32)..<(b * 32 + 32)
                let amax = block.map { abs(x[r * columns + $0]) }.max()!
                #expect(abs(scale - amax / 127) <= amax * 1e-6, "row \(r) block \(b): scale \(scale) for max \(amax)")
                for k in block {
                    let q = Int(m.values[r * columns + k])
                    #expect((-127...127).contains(q))
                    let error = abs(back[k] - x[r * columns + k])
                    #expect(error <= quantizationErrorInSteps * scale, "row \(r) col \(k): error \(error), step \(scale)")
                }
            }
        }
    }

    @Test func zeroBlockHasZeroScaleAndValues() throws {
        var x = [Float](repeating: 0, count: 64)
        x[40] = -2.5
        let m = try x.withUnsafeBufferPointer { try Int8Matrix(quantizing: $0.baseAddress!, rows: 1, columns: 64) }
        #expect(m.scales[0] == 0)
        #expect((0..<32).allSatisfy { m.values[$0] == 0 })
        #expect(m.values[40] == -127)
        #expect(m.values[41] == 0)
    }

    @Test(arguments: [0, 31, 33, 100])
    func raggedColumnsAreRefused(columns: Int) {
        let x = [Float](repeating: 1, count: max(1, 2 * columns))
        #expect(throws: Int8Error.columnsNotMultipleOfBlock(columns: columns, blockSize: 32)) {
            _ = try x.withUnsafeBufferPointer { try Int8Matrix(quantizing: $0.baseAddress!, rows: 2, columns: columns) }
        }
    }

    @Test func wrongBufferSizeIsRefused() {
        let buffer = AlignedBuffer<Float>(count: 60)
        #expect(throws: Int8Error.sizeMismatch(expected: 64, got: 60)) {
            _ = try Int8Matrix(quantizing: buffer, rows: 2, columns: 32)
        }
    }
}
