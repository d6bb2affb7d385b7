// The directions trusted donors moved a weight matrix in: orthonormal bases of the column and row spaces their task
// vectors span together, found with a randomized range finder so a 1536×576 tensor costs a few small products.
import Quant

/// An orthonormal basis stored as `count` vectors of length `dimension`, one after another.
struct OrthonormalBasis {
    let dimension: Int
    private(set) var vectors: [Float] = []
    var count: Int { vectors.count / dimension }

    init(dimension: Int) { self.dimension = dimension }

    /// Adds what is new in `candidate` (after removing its components along the basis, twice, because one pass of
    /// Gram-Schmidt loses orthogonality in float32) when that part is more than `tolerance` of the candidate's
    /// length; returns whether it did. A LoRA donor's sketches beyond its rank leave only rounding noise, so a
    /// relative tolerance of 1e-3 keeps its true rank and no noise directions.
    mutating func add(_ candidate: UnsafeBufferPointer<Float>, tolerance: Float) -> Bool {
        var v = Array(candidate)
        let original = norm(v)
        guard original > 0, original.isFinite else { return false }
        vectors.withUnsafeBufferPointer { basis in
            for _ in 0..<2 {
                for k in 0..<count {
                    let q = UnsafeBufferPointer(rebasing: basis[(k * dimension)..<((k + 1) * dimension)])
                    let c = F32.dot(q.baseAddress!, v, count: dimension)
                    for j in 0..<dimension { v[j] -= c * q[j] }
                }
            }
        }
        let rest = norm(v)
        guard rest > tolerance * original else { return false }
        vectors += v.map { $0 / rest }
        return true
    }

    /// The basis as a `dimension × count` matrix (vectors as columns), for products that need it on the left.
    var transposed: [Float] {
        var t = [Float](repeating: 0, count: vectors.count)
        let k = count
        for i in 0..<k { for j in 0..<dimension { t[j * k + i] = vectors[i * dimension + j] } }
        return t
    }

    private func norm(_ v: [Float]) -> Float {
        var s: Double = 0
        for x in v { s += Double(x) * Double(x) }
        return Float(s.squareRoot())
    }
}

/// The column and row spaces of a set of `rows × columns` matrices (row-major), each sketched with `sketch` random
/// vectors per side: Ωᵀ·Mᵀ gives vectors in M's column space, Ωᵀ·M vectors in its row space.
struct DonorSpan {
    let columnBasis: OrthonormalBasis
    let rowBasis: OrthonormalBasis

    static let tolerance: Float = 1e-3

    init(matrices: [UnsafeBufferPointer<Float>], rows: Int, columns: Int, sketch: Int, random: inout MergeRandom) {
        var columnBasis = OrthonormalBasis(dimension: rows)
        var rowBasis = OrthonormalBasis(dimension: columns)
        for matrix in matrices {
            let omegaColumns = Self.randomSigns(count: sketch * columns, random: &random)
            let omegaRows = Self.randomSigns(count: sketch * rows, random: &random)
            var columnSketch = [Float](repeating: 0, count: sketch * rows)
            var rowSketch = [Float](repeating: 0, count: sketch * columns)
            // columnSketch[s, r] = Σ_c Ω[s, c] · M[r, c];  rowSketch[s, c] = Σ_r Ω'[s, r] · M[r, c]
            F32.gemm(m: sketch, n: rows, k: columns, a: omegaColumns, lda: columns, b: matrix.baseAddress!, ldb: columns,
                     transposeB: true, c: &columnSketch, ldc: rows)
            F32.gemm(m: sketch, n: columns, k: rows, a: omegaRows, lda: rows, b: matrix.baseAddress!, ldb: columns,
                     transposeB: false, c: &rowSketch, ldc: columns)
            columnSketch.withUnsafeBufferPointer { all in
                for s in 0..<sketch {
                    _ = columnBasis.add(UnsafeBufferPointer(rebasing: all[(s * rows)..<((s + 1) * rows)]), tolerance: Self.tolerance)
                }
            }
            rowSketch.withUnsafeBufferPointer { all in
                for s in 0..<sketch {
                    _ = rowBasis.add(UnsafeBufferPointer(rebasing: all[(s * columns)..<((s + 1) * columns)]), tolerance: Self.tolerance)
                }
            }
        }
        self.columnBasis = columnBasis
        self.rowBasis = rowBasis
    }

    /// P_col · M · P_row: the part of `matrix` that lies in both spans, written to `output`.
    func project(_ matrix: UnsafeBufferPointer<Float>, rows: Int, columns: Int, into output: UnsafeMutableBufferPointer<Float>) {
        let kc = columnBasis.count, kr = rowBasis.count
        guard kc > 0, kr > 0 else {
            output.initialize(repeating: 0)
            return
        }
        // T = Qc·M (kc × columns); C = T·Qrᵀ (kc × kr); U = C·Qr (kc × columns); output = Qcᵀ·U (rows × columns).
        var t = [Float](repeating: 0, count: kc * columns)
        var c = [Float](repeating: 0, count: kc * kr)
        var u = [Float](repeating: 0, count: kc * columns)
        F32.gemm(m: kc, n: columns, k: rows, a: columnBasis.vectors, lda: rows, b: matrix.baseAddress!, ldb: columns,
                 transposeB: false, c: &t, ldc: columns)
        F32.gemm(m: kc, n: kr, k: columns, a: t, lda: columns, b: rowBasis.vectors, ldb: columns, transposeB: true,
                 c: &c, ldc: kr)
        F32.gemm(m: kc, n: columns, k: kr, a: c, lda: kr, b: rowBasis.vectors, ldb: columns, transposeB: false,
                 c: &u, ldc: columns)
        F32.gemm(m: rows, n: columns, k: kc, a: columnBasis.transposed, lda: kc, b: u, ldb: columns, transposeB: false,
                 c: output.baseAddress!, ldc: columns)
    }

    /// ±1 entries: as good as Gaussian for finding a range, and exactly reproducible from the seed.
    private static func randomSigns(count: Int, random: inout MergeRandom) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        var bits: UInt64 = 0
        for i in 0..<count {
            if i % 64 == 0 { bits = random.next() }
            values[i] = (bits >> UInt64(i % 64)) & 1 == 0 ? 1 : -1
        }
        return values
    }
}
