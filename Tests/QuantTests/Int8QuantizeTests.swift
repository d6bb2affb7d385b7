// The int8 quantizers: weight blocks on a grid come back exactly, other blocks within half a step of a 253-step grid
// over their range, without amplifying a small merge delta; activations within half an int16 step, with f32 block
// sums; typed errors.
import Testing
@testable import Quant

/// Round-to-nearest leaves at most half a quantization step per value; the slack covers f32 rounding.
let quantizationErrorInSteps: Float = 0.5 + 1e-4
/// A block already on a grid (dequantized Q4_1/Q8_0) comes back up to f32 rounding of scale · q + offset, relative
/// to the block's largest magnitude.
let gridRoundTripTolerance: Float = 1e-6
/// The rounding noise of 131,072 values is about twice the delta's size, so β's own sampling spread is ~0.006;
/// the anchored grid's bias (β = 0.92 here) is outside this.
let mergeDeltaGainTolerance = 0.05

@Suite struct Int8QuantizeTests {
    func roundTrip(_ x: [Float], rows: Int, columns: Int) throws -> (Int8Matrix, [Float]) {
        let m = try x.withUnsafeBufferPointer { try Int8Matrix(quantizing: $0.baseAddress!, rows: rows, columns: columns) }
        var back = [Float](repeating: 0, count: rows * columns)
        back.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows { m.dequantize(row: r, into: out.baseAddress! + r * columns) }
        }
        return (m, back)
    }

    @Test(arguments: [1, 3, 7, 33])
    func offGridBlocksAreWithinHalfAStepOf253StepsOverTheirRange(blocks: Int) throws {
        var random = SeededRandom(seed: UInt64(blocks))
        let rows = 5, columns = blocks * Int8Matrix.blockSize
        let x = random.floats(rows * columns, scale: 3).enumerated().map { $0.element + Float($0.offset % 3) }
        let (m, back) = try roundTrip(x, rows: rows, columns: columns)
        for r in 0..<rows {
            for b in 0..<blocks {
                let scale = m.scale(row: r, block: b)
                let block = (r * columns + b * 32)..<(r * columns + b * 32 + 32)
                let lo = block.map { x[$0] }.min()!, hi = block.map { x[$0] }.max()!
                #expect(abs(scale - (hi - lo) / 253) <= (hi - lo) * 1e-6, "row \(r) block \(b): scale \(scale) for range \(hi - lo)")
                for k in block {
                    #expect((-127...127).contains(Int(m.value(row: r, column: k - r * columns))))
                    let error = abs(back[k] - x[k])
                    #expect(error <= quantizationErrorInSteps * scale, "row \(r) col \(k): error \(error), step \(scale)")
                }
            }
        }
    }

    /// Blocks as Q4_1 (d·q + m, q in 0...15, f16-valued d and m) and Q8_0 (d·q, q in -127...127) dequantize to,
    /// including a block whose minimum's next grid point is absent (its smallest gap is two steps).
    @Test func gridBlocksRoundTripExactly() throws {
        var random = SeededRandom(seed: 99)
        var x: [Float] = []
        for block in 0..<24 {
            let d = halfRounded(Float.random(in: 0.001...0.05, using: &random))
            let m = halfRounded(Float.random(in: -0.4...0.1, using: &random))
            var q: [Int]
            if block % 3 == 0 {
                q = (0..<32).map { _ in Int.random(in: -127...127, using: &random) }
                q[0] = -127; q[1] = 127
                x += q.map { d * Float($0) }
            } else {
                q = (0..<32).map { _ in Int.random(in: 0...15, using: &random) }
                if block % 3 == 2 { q = q.map { $0 == 1 ? 2 : $0 }; q[0] = 0 }
                x += q.map { d * Float($0) + m }
            }
        }
        let (m, back) = try roundTrip(x, rows: 3, columns: 8 * 32)
        for b in 0..<24 {
            let block = (b * 32)..<(b * 32 + 32)
            let amax = block.map { abs(x[$0]) }.max()!
            for k in block {
                #expect(abs(back[k] - x[k]) <= gridRoundTripTolerance * amax,
                        "block \(b) value \(k): \(back[k]) vs \(x[k]) (scale \(m.scale(row: b / 8, block: b % 8)))")
            }
        }
    }

    /// A merged block is a Q4_1 base block plus a task vector far below one int8 step. Its quantized delta
    /// (dequantized − base) must follow the true delta without a gain: the projection coefficient
    /// β = ⟨q − base, delta⟩ / ⟨delta, delta⟩ over many blocks stays near 1. A grid anchored at each block's minimum
    /// and maximum lines up with the base's 16-level grid and biased the delta: β = 0.92 on these blocks, 1.2–1.5 on
    /// real SmolLM2 merges.
    @Test func mergeDeltaIsNotAmplified() throws {
        var random = SeededRandom(seed: 7)
        let blocks = 4096
        var base: [Float] = [], delta: [Float] = []
        for _ in 0..<blocks {
            let d = halfRounded(Float.random(in: 0.005...0.05, using: &random))
            let m = halfRounded(-7.5 * d + Float.random(in: -0.5...0.5, using: &random) * d)
            for _ in 0..<32 {
                base.append(d * Float(Int.random(in: 0...15, using: &random)) + m)
                // About a tenth of an int8 step (d·15/253) in RMS, like SmolLM2's merged task vectors.
                delta.append(Float.random(in: -1...1, using: &random) * 0.17 * d * 15 / 253)
            }
        }
        let merged = zip(base, delta).map { $0 + $1 }
        let (_, back) = try roundTrip(merged, rows: blocks, columns: 32)
        var along: Double = 0, norm: Double = 0
        for k in merged.indices {
            along += Double(back[k] - base[k]) * Double(delta[k])
            norm += Double(delta[k]) * Double(delta[k])
        }
        let gain = along / norm
        #expect(abs(gain - 1) <= mergeDeltaGainTolerance, "quantized delta = \(gain) × the true one")
    }

    @Test func constantAndZeroBlocksAreExact() throws {
        var x = [Float](repeating: 0, count: 96)
        for k in 32..<64 { x[k] = -0.75 }
        x[70] = -2.5
        let (m, back) = try roundTrip(x, rows: 1, columns: 96)
        #expect(m.scale(row: 0, block: 0) == 0 && m.offset(row: 0, block: 0) == 0)
        #expect(m.scale(row: 0, block: 1) == 0 && m.offset(row: 0, block: 1) == -0.75)
        #expect(back == x)
    }

    @Test(arguments: [1, 3, 33])
    func activationsAreWithinHalfAnInt16Step(blocks: Int) {
        var random = SeededRandom(seed: UInt64(100 + blocks))
        let rows = 3, columns = blocks * 32
        let x = random.floats(rows * columns, scale: 5)
        let a = Int8Activations()
        x.withUnsafeBufferPointer { a.quantize($0.baseAddress!, rows: rows, columns: columns) }
        for r in 0..<rows {
            for b in 0..<blocks {
                let block = (r * columns + b * 32)..<(r * columns + b * 32 + 32)
                let amax = block.map { abs(x[$0]) }.max()!
                let scale = a.scales[r * blocks + b]
                #expect(abs(scale - amax / 32767) <= amax * 1e-9 + 1e-12)
                var sum: Double = 0, magnitude: Double = 0
                for k in block {
                    sum += Double(x[k])
                    magnitude += Double(abs(x[k]))
                    // Plus f32 rounding of scale · q at the block's magnitude.
                    #expect(abs(scale * Float(a.values[k]) - x[k]) <= quantizationErrorInSteps * scale + amax * 0x1p-22)
                }
                // Summed in f32 in eight lanes and a tree: a few roundings of at most the partial sums' size each.
                #expect(abs(Double(a.sums[r * blocks + b]) - sum) <= 8 * Double(Float.ulpOfOne) * magnitude,
                        "block \(b) sum \(a.sums[r * blocks + b]) vs \(sum)")
            }
        }
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

    private func halfRounded(_ v: Float) -> Float { Float(Float16(v)) }
}
