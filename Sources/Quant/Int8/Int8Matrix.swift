// Int8 weights in blocks of 32 values with one f32 scale and one f32 offset per block, quantized once at load.
import CKernels

/// A matrix (rows, columns) as int8 values plus per-block scales and offsets, w ≈ scale · q + offset.
///
/// Why an offset (affine blocks, not Q8_0's symmetric ones): the weights arrive dequantized from Q4_1/Q8_0 (or
/// merged), and a block dequantized from Q4_1 is d·q + m with 16 levels that a symmetric int8 grid cannot hold;
/// requantizing it symmetrically was half of the int8 model's logit error on SmolLM2. With an offset, every block
/// that is already on a grid of ≤ 255 points is stored exactly, and any other block is rounded to a grid of 253
/// steps over its range (about half the step of symmetric ±127), shifted per block so that merges stay unbiased
/// (q8_quantize.c). The offset costs one f32 per block and, in the kernels, one dot product per row of offsets
/// against the activations' block sums.
///
/// Layout: values, scales and offsets in three arrays, each with rows in groups of 8 and each group block-major
/// (`mg_q8_value_offset`, `mg_q8_param_index`): block b of a group is its 8 rows' 32 values one after another
/// (256 bytes), then block b + 1. Rows are rounded up to whole groups (padding zero).
/// - Values and scales apart, not interleaved 34-byte blocks: every block then starts on a 32-byte boundary
///   (the buffer is 64-byte aligned), so one block is exactly one ymm load.
/// - Values grouped by 8 rows: the kernels read a group's 8 rows block by block, which is then one sequential
///   stream; as 8 separate row streams one core read ~12 GB/s from DRAM against ~19 GB/s grouped (single-core
///   harness on 1536×576 and 576×576, AMD EPYC Zen 3; two cores at once 23 → 29 GB/s).
/// - Scales and offsets grouped by 8 rows: single-stream decode puts 8 weight rows in the lanes of a vector, and
///   transposing row-major tables 8 × 8 blocks at a time cost ~10% of decode (compare_builds, AMD EPYC).
///   A view of the matrix must start at a multiple of 8 rows.
/// - f32 scales and offsets, not f16: a plain broadcast in the kernels with no conversion, and no rounding of a
///   grid's step or point (an f16 offset would break exactness); 8 bytes per 32 values.
public struct Int8Matrix: Sendable {
    public static let blockSize = Int(MG_Q8_BLOCK)

    public let rows: Int
    public let columns: Int
    public let values: AlignedBuffer<Int8>   // (rows rounded up to rowGroup, columns), grouped
    public let scales: AlignedBuffer<Float>  // (rows rounded up to rowGroup, columns / blockSize), grouped
    public let offsets: AlignedBuffer<Float> // same layout as scales

    /// Rows per group of the scale and offset tables; views start at multiples of it.
    public static let rowGroup = Int(MG_Q8_ROW_GROUP)

    /// n rows rounded up to whole row groups.
    static func wholeRowGroups(_ n: Int) -> Int { (n + rowGroup - 1) / rowGroup * rowGroup }

    public var blocksPerRow: Int { columns / Self.blockSize }

    /// Quantizes an f32 matrix (rows, columns) in PyTorch layout; `columns` must be a multiple of 32.
    public init(quantizing weights: UnsafePointer<Float>, rows: Int, columns: Int) throws(Int8Error) {
        guard columns > 0, columns % Self.blockSize == 0 else {
            throw .columnsNotMultipleOfBlock(columns: columns, blockSize: Self.blockSize)
        }
        self.rows = rows
        self.columns = columns
        values = AlignedBuffer(count: Self.wholeRowGroups(rows) * columns)
        scales = AlignedBuffer(count: Self.wholeRowGroups(rows) * (columns / Self.blockSize))
        offsets = AlignedBuffer(count: Self.wholeRowGroups(rows) * (columns / Self.blockSize))
        mg_q8_quantize_weights(weights, Int64(rows), Int64(columns), values.pointer, scales.pointer, offsets.pointer)
    }

    public init(quantizing weights: AlignedBuffer<Float>, rows: Int, columns: Int) throws(Int8Error) {
        guard weights.count == rows * columns else { throw .sizeMismatch(expected: rows * columns, got: weights.count) }
        try self.init(quantizing: UnsafePointer(weights.pointer), rows: rows, columns: columns)
    }

    /// Bytes of values, scales and offsets.
    public var byteCount: Int { values.byteCount + scales.byteCount + offsets.byteCount }

    /// The kernels' view of rows [first, first + count) (the caller keeps the matrix alive); `first` must be a
    /// multiple of `rowGroup`.
    func kernelView(firstRow first: Int = 0) -> mg_q8_weights {
        precondition(first % Self.rowGroup == 0, "int8 views start at a multiple of \(Self.rowGroup) rows, not \(first)")
        return mg_q8_weights(q: values.pointer + Int(mg_q8_value_offset(Int64(first), 0, Int64(blocksPerRow))),
                             scales: scales.pointer + first * blocksPerRow,
                             offsets: offsets.pointer + first * blocksPerRow)
    }

    /// The quantized value at (row, column).
    public func value(row: Int, column: Int) -> Int8 {
        let block = column / Self.blockSize
        return values[Int(mg_q8_value_offset(Int64(row), Int64(block), Int64(blocksPerRow))) + column % Self.blockSize]
    }

    /// Row `row`'s scale and offset of block `block`.
    public func scale(row: Int, block: Int) -> Float { scales[parameterIndex(row: row, block: block)] }
    public func offset(row: Int, block: Int) -> Float { offsets[parameterIndex(row: row, block: block)] }

    private func parameterIndex(row: Int, block: Int) -> Int {
        Int(mg_q8_param_index(Int64(row), Int64(block), Int64(blocksPerRow)))
    }

    /// Writes row `row` back as f32 (scale · q + offset), for error checks and for code that needs f32 weights again.
    public func dequantize(row: Int, into out: UnsafeMutablePointer<Float>) {
        let nb = blocksPerRow
        for b in 0..<nb {
            let scale = self.scale(row: row, block: b), offset = self.offset(row: row, block: b)
            let q = values.pointer + Int(mg_q8_value_offset(Int64(row), Int64(b), Int64(nb)))
            for k in 0..<Self.blockSize { out[b * Self.blockSize + k] = scale * Float(q[k]) + offset }
        }
    }
}
