// Fused int8 products (q/k/v in one pool call; gate/up with SwiGLU and quantization in the tasks) against the
// plain per-matrix path: the forward pass relies on them being bit-identical, not merely close.
import Testing
@testable import Quant

@Suite struct Int8FusedProductTests {
    static func matrix(rows: Int, columns: Int, seed: UInt64) throws -> Int8Matrix {
        var random = SeededRandom(seed: seed)
        let w = random.floats(rows * columns, scale: 0.05)
        return try w.withUnsafeBufferPointer { try Int8Matrix(quantizing: $0.baseAddress!, rows: rows, columns: columns) }
    }

    static func input(rows: Int, columns: Int, seed: UInt64) -> Int8Activations {
        var random = SeededRandom(seed: seed)
        let x = random.floats(rows * columns, scale: 2)
        let a = Int8Activations()
        x.withUnsafeBufferPointer { a.quantize($0.baseAddress!, rows: rows, columns: columns) }
        return a
    }

    // Row counts include ones that are not multiples of the 4-row tile, and a batch of one (decode) and of many.
    @Test(arguments: [1, 3, 8], [1, 2])
    func threeProductsMatchSeparateCalls(rows: Int, threads: Int) throws {
        let pool = ThreadPool(threadCount: threads)
        defer { pool.shutdown() }
        let columns = 96
        let shapes = [200, 37, 64]
        let matrices = try shapes.enumerated().map { try Self.matrix(rows: $1, columns: columns, seed: UInt64(10 + $0)) }
        let a = Self.input(rows: rows, columns: columns, seed: 7)
        let separate = shapes.map { AlignedBuffer<Float>(count: rows * $0) }
        let fused = shapes.map { AlignedBuffer<Float>(count: rows * $0) }
        for (m, y) in zip(matrices, separate) { Int8MatMul.multiply(a, weights: m, into: y.pointer, pool: pool) }
        Int8MatMul.multiply(a, Int8Product(weights: matrices[0], output: fused[0].pointer),
                            Int8Product(weights: matrices[1], output: fused[1].pointer),
                            Int8Product(weights: matrices[2], output: fused[2].pointer), pool: pool)
        for (s, f) in zip(separate, fused) { #expect(Array(s.readOnly) == Array(f.readOnly)) }
        // Two parts only.
        let pair = shapes.prefix(2).map { AlignedBuffer<Float>(count: rows * $0) }
        Int8MatMul.multiply(a, Int8Product(weights: matrices[0], output: pair[0].pointer),
                            Int8Product(weights: matrices[1], output: pair[1].pointer), pool: pool)
        for (s, f) in zip(separate, pair) { #expect(Array(s.readOnly) == Array(f.readOnly)) }
    }

    @Test(arguments: [1, 5], [1, 2])
    func gatedFeedForwardMatchesUnfusedSteps(rows: Int, threads: Int) throws {
        let pool = ThreadPool(threadCount: threads)
        defer { pool.shutdown() }
        let columns = 64, hidden = 32 * 37
        let gate = try Self.matrix(rows: hidden, columns: columns, seed: 3)
        let up = try Self.matrix(rows: hidden, columns: columns, seed: 4)
        let a = Self.input(rows: rows, columns: columns, seed: 5)
        // Unfused: two products, SwiGLU over everything, one quantization.
        let g = AlignedBuffer<Float>(count: rows * hidden), u = AlignedBuffer<Float>(count: rows * hidden)
        Int8MatMul.multiply(a, weights: gate, into: g.pointer, pool: pool)
        Int8MatMul.multiply(a, weights: up, into: u.pointer, pool: pool)
        F32.swiGLU(gate: g.pointer, up: u.pointer, count: rows * hidden)
        let expected = Int8Activations()
        expected.quantize(g.pointer, rows: rows, columns: hidden)

        let fg = AlignedBuffer<Float>(count: rows * hidden), fu = AlignedBuffer<Float>(count: rows * hidden)
        let got = Int8Activations()
        Int8MatMul.gatedFeedForward(a, gate: Int8Product(weights: gate, output: fg.pointer),
                                    up: Int8Product(weights: up, output: fu.pointer), hidden: got, pool: pool)
        #expect(Array(g.readOnly) == Array(fg.readOnly))
        #expect(got.rows == rows && got.columns == hidden)
        #expect(Array(UnsafeBufferPointer(start: got.values.pointer, count: rows * hidden))
                == Array(UnsafeBufferPointer(start: expected.values.pointer, count: rows * hidden)))
        #expect(Array(UnsafeBufferPointer(start: got.scales.pointer, count: rows * hidden / 32))
                == Array(UnsafeBufferPointer(start: expected.scales.pointer, count: rows * hidden / 32)))
        // The block sums feed the weights' offsets in the down projection, so they must match too.
        #expect(Array(UnsafeBufferPointer(start: got.sums.pointer, count: rows * hidden / 32))
                == Array(UnsafeBufferPointer(start: expected.sums.pointer, count: rows * hidden / 32)))
    }
}
