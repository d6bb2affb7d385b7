// The directions trusted donors moved a weight matrix in: orthonormal bases of the column and row spaces their task
// vectors span together, found with a randomized range finder so a 1536×576 tensor costs a few small products.
// Everything bulk goes through OpenBLAS: the tests and the integration server run debug builds, where element
// loops in Swift are tens of times slower.
import COpenBLAS

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
    mutating func add(_ candidate: UnsafePointer<Float>, tolerance: Float) -> Bool {
        let n = Int32(dimension)
        var v = Array(UnsafeBufferPointer(start: candidate, count: dimension))
        let original = cblas_snrm2(n, v, 1)
        guard original > 0, original.isFinite else { return false }
        let k = count
        if k > 0 {
            var coefficients = [Float](repeating: 0, count: k)
            for _ in 0..<2 {
                // c = Q·v, then v −= Qᵀ·c.
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(k), n, 1, vectors, n, v, 1, 0, &coefficients, 1)
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), n, -1, vectors, n, coefficients, 1, 1, &v, 1)
            }
        }
        let rest = cblas_snrm2(n, v, 1)
        guard rest > tolerance * original else { return false }
        cblas_sscal(n, 1 / rest, &v, 1)
        vectors += v
        return true
    }
}

/// The column and row spaces of a set of `rows × columns` matrices (row-major), each sketched with `sketch` random
/// sign vectors per side: Ωᵀ·Mᵀ gives vectors in M's column space, Ωᵀ·M vectors in its row space.
struct DonorSpan {
    let columnBasis: OrthonormalBasis
    let rowBasis: OrthonormalBasis

    static let tolerance: Float = 1e-3

    init(matrices: [UnsafePointer<Float>], rows: Int, columns: Int, sketch: Int, random: inout MergeRandom) {
        var columnBasis = OrthonormalBasis(dimension: rows)
        var rowBasis = OrthonormalBasis(dimension: columns)
        let r = Int32(rows), c = Int32(columns), s = Int32(sketch)
        for matrix in matrices {
            let omegaColumns = Self.randomSigns(count: sketch * columns, random: &random)
            let omegaRows = Self.randomSigns(count: sketch * rows, random: &random)
            var columnSketch = [Float](repeating: 0, count: sketch * rows)
            var rowSketch = [Float](repeating: 0, count: sketch * columns)
            // columnSketch[s, r] = Σ_c Ω[s, c] · M[r, c];  rowSketch[s, c] = Σ_r Ω'[s, r] · M[r, c]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, r, c, 1, omegaColumns, c, matrix, c, 0, &columnSketch, r)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, c, r, 1, omegaRows, r, matrix, c, 0, &rowSketch, c)
            columnSketch.withUnsafeBufferPointer { all in
                for i in 0..<sketch { _ = columnBasis.add(all.baseAddress! + i * rows, tolerance: Self.tolerance) }
            }
            rowSketch.withUnsafeBufferPointer { all in
                for i in 0..<sketch { _ = rowBasis.add(all.baseAddress! + i * columns, tolerance: Self.tolerance) }
            }
        }
        self.columnBasis = columnBasis
        self.rowBasis = rowBasis
    }

    /// P_col · M · P_row: the part of `matrix` that lies in both spans, written to `output`.
    func project(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into output: UnsafeMutablePointer<Float>) {
        let kc = columnBasis.count, kr = rowBasis.count
        guard kc > 0, kr > 0 else {
            output.initialize(repeating: 0, count: rows * columns)
            return
        }
        let r = Int32(rows), c = Int32(columns), kc32 = Int32(kc), kr32 = Int32(kr)
        let qc = columnBasis.vectors, qr = rowBasis.vectors
        // T = Qc·M (kc × columns); C = T·Qrᵀ (kc × kr); U = C·Qr (kc × columns); output = Qcᵀ·U (rows × columns).
        var t = [Float](repeating: 0, count: kc * columns)
        var coefficients = [Float](repeating: 0, count: kc * kr)
        var u = [Float](repeating: 0, count: kc * columns)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kc32, c, r, 1, qc, r, matrix, c, 0, &t, c)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kc32, kr32, c, 1, t, c, qr, c, 0, &coefficients, kr32)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kc32, c, kr32, 1, coefficients, kr32, qr, c, 0, &u, c)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, c, kc32, 1, qc, r, u, c, 0, output, c)
    }

    /// ±1 entries: as good as Gaussian for finding a range, and exactly reproducible from the seed.
    private static func randomSigns(count: Int, random: inout MergeRandom) -> [Float] {
        var values = [Float](repeating: 1, count: count)
        var bits: UInt64 = 0
        for i in 0..<count {
            if i & 63 == 0 { bits = random.next() }
            if bits & (1 << UInt64(i & 63)) != 0 { values[i] = -1 }
        }
        return values
    }
}
