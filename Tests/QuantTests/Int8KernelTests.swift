// Every SIMD level of the int8 block product against the scalar reference, on odd block and row counts, and the
// scalar reference against an exact double-precision sum. Levels this CPU lacks are reported as skipped.
import Testing
@testable import Quant
import CKernels

/// The AVX-512 VNNI level differs from the scalar reference in the order of f32 additions of per-block terms (16 lane
/// partial sums of exact integers, then a horizontal sum, and the offset terms 8 at a time); measured against
/// Σ|terms| that error stays well below 1e-5 for 1023 blocks. The AVX2 and AVX-VNNI levels do the scalar
/// reference's f32 operations in its order (CKernels.h), so they must match it bit for bit.
let kernelAgreementTolerance: Float = 1e-5
/// The scalar reference sums f32 terms in order; against the exact sum, relative to Σ|terms|.
let scalarReferenceTolerance: Float = 1e-5

struct KernelCase: CustomStringConvertible, Sendable {
    let blocks: Int, xrows: Int, wrows: Int
    var description: String { "\(blocks) blocks, \(xrows) x rows, \(wrows) w rows" }

    // Activation rows cover both ymm paths (1-4 rows one at a time, groups of 5-8 interleaved), groups cut short
    // (13, 17) and more than one 64-row panel (67); weight rows cover whole and partial 8-row groups.
    static let all: [KernelCase] = [1, 3, 7, 31, 33, 1023].flatMap { b in
        [1, 3, 5, 8, 13, 17].flatMap { x in [1, 3, 5, 8, 17].map { w in KernelCase(blocks: b, xrows: x, wrows: w) } }
    } + [KernelCase(blocks: 18, xrows: 67, wrows: 20), KernelCase(blocks: 48, xrows: 4, wrows: 24)]
}

/// Quantized weights and activations for one case, plus the exact products and their Σ|terms| bounds.
struct KernelProblem {
    let weights: Int8Matrix
    let activations: Int8Activations
    let exact: [Double]      // (xrows, wrows)
    let magnitude: [Double]  // (xrows, wrows): Σ_b (|ws·xs| · Σ_k |wq·xq| + |wo · xsum|)

    init(_ c: KernelCase) throws {
        var random = SeededRandom(seed: UInt64(c.blocks * 10_000 + c.xrows * 100 + c.wrows))
        let cols = c.blocks * Int8Matrix.blockSize
        // Weights with a per-row mean, so the blocks' offsets are not all near zero and their term is exercised.
        let w = random.floats(c.wrows * cols, scale: 0.05).enumerated().map { $0.element + 0.01 * Float($0.offset / cols % 5) }
        let x = random.floats(c.xrows * cols, scale: 2)
        weights = try w.withUnsafeBufferPointer { try Int8Matrix(quantizing: $0.baseAddress!, rows: c.wrows, columns: cols) }
        let activations = Int8Activations()
        x.withUnsafeBufferPointer { activations.quantize($0.baseAddress!, rows: c.xrows, columns: cols) }
        self.activations = activations
        var exact = [Double](repeating: 0, count: c.xrows * c.wrows)
        var magnitude = exact
        let xq = activations.values.pointer, xs = activations.scales.pointer, xsum = activations.sums.pointer
        for i in 0..<c.xrows {
            for j in 0..<c.wrows {
                var sum = 0.0, bound = 0.0
                for b in 0..<c.blocks {
                    var dot = 0, absDot = 0
                    for k in (b * 32)..<(b * 32 + 32) {
                        let p = Int(weights.value(row: j, column: k)) * Int(xq[i * cols + k])
                        dot += p
                        absDot += abs(p)
                    }
                    let scale = Double(weights.scale(row: j, block: b)) * Double(xs[i * c.blocks + b])
                    let offsetTerm = Double(weights.offset(row: j, block: b)) * Double(xsum[i * c.blocks + b])
                    sum += scale * Double(dot) + offsetTerm
                    bound += abs(scale) * Double(absDot) + abs(offsetTerm)
                }
                exact[i * c.wrows + j] = sum
                magnitude[i * c.wrows + j] = bound
            }
        }
        self.exact = exact
        self.magnitude = magnitude
    }

    /// Runs one level straight through its C entry with a padded output stride; the padding must stay untouched.
    /// With `row`, only that activation row (as a one-row call).
    func run(_ kernel: Int8Kernel, _ c: KernelCase, row: Int? = nil) -> [Float] {
        let ldy = c.wrows + 3
        let xrows = row == nil ? c.xrows : 1
        var x = activations.kernelView
        if let row {
            x = mg_q8_activations(q: x.q + row * c.blocks * 32, scales: x.scales + row * c.blocks, sums: x.sums + row * c.blocks)
        }
        var y = [Float](repeating: -7777, count: xrows * ldy)
        let scratch = AlignedBuffer<Float>(count: Int(mg_q8_gemm_scratch(Int64(c.blocks), Int64(xrows))))
        y.withUnsafeMutableBufferPointer { out in
            kernel.function(weights.kernelView(), x, Int64(c.blocks), Int64(xrows), Int64(c.wrows), out.baseAddress!,
                            Int64(ldy), scratch.pointer)
        }
        for i in 0..<xrows {
            for j in c.wrows..<ldy { #expect(y[i * ldy + j] == -7777, "\(kernel) wrote outside its rows: \(c)") }
        }
        return (0..<xrows).flatMap { i in y[(i * ldy)..<(i * ldy + c.wrows)] }
    }
}

@Suite struct Int8KernelTests {
    @Test func scalarMatchesExactSum() throws {
        for c in KernelCase.all {
            let p = try KernelProblem(c)
            let y = p.run(.scalar, c)
            for n in y.indices {
                let error = abs(Double(y[n]) - p.exact[n])
                #expect(error <= Double(scalarReferenceTolerance) * p.magnitude[n] + 1e-30,
                        "\(c), output \(n): \(y[n]) vs exact \(p.exact[n])")
            }
        }
    }

    @Test(.enabled(if: Int8Kernel.avx2.isSupported, "this CPU has no AVX2"))
    func avx2MatchesScalarBitForBit() throws { try compareBitsWithScalar(.avx2) }

    @Test(.enabled(if: Int8Kernel.avxvnni.isSupported, "this CPU has no AVX-VNNI"))
    func avxVNNIMatchesScalarBitForBit() throws { try compareBitsWithScalar(.avxvnni) }

    /// A row's outputs must not depend on which other rows share the call: prompts cut into chunks, the prefix cache
    /// and batched decoding all rely on it. Every row of every case is run alone and compared bit for bit.
    @Test func rowsComputedAloneEqualRowsComputedTogether() throws {
        for kernel in Int8Kernel.allCases where kernel.isSupported {
            for c in KernelCase.all where c.xrows > 1 && c.blocks <= 33 {
                let p = try KernelProblem(c)
                let together = p.run(kernel, c)
                for i in 0..<c.xrows {
                    let alone = p.run(kernel, c, row: i)
                    #expect(alone.map(\.bitPattern) == together[(i * c.wrows)..<((i + 1) * c.wrows)].map(\.bitPattern),
                            "\(kernel) \(c): row \(i) alone differs from the same row among \(c.xrows)")
                }
            }
        }
    }

    func compareBitsWithScalar(_ kernel: Int8Kernel) throws {
        for c in KernelCase.all {
            let p = try KernelProblem(c)
            let reference = p.run(.scalar, c)
            let y = p.run(kernel, c)
            let differing = zip(y, reference).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(kernel) \(c): \(differing) of \(y.count) outputs differ from the scalar reference's bits")
        }
    }

    @Test(.enabled(if: Int8Kernel.avx512vnni.isSupported, "this CPU has no AVX-512 VNNI"))
    func avx512VNNIMatchesScalar() throws { try compareWithScalar(.avx512vnni) }

    func compareWithScalar(_ kernel: Int8Kernel) throws {
        var worst: Double = 0
        for c in KernelCase.all {
            let p = try KernelProblem(c)
            let reference = p.run(.scalar, c)
            let y = p.run(kernel, c)
            for n in y.indices {
                let error = Double(abs(y[n] - reference[n]))
                if p.magnitude[n] > 0 { worst = max(worst, error / p.magnitude[n]) }
                #expect(error <= Double(kernelAgreementTolerance) * p.magnitude[n] + 1e-30,
                        "\(kernel) \(c), output \(n): \(y[n]) vs scalar \(reference[n])")
            }
        }
        #expect(worst > 0 || kernel == .scalar, "a SIMD level reproducing the scalar sums bit for bit everywhere is suspicious")
    }
}
