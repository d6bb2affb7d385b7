// Int8 weights in blocks of 32 values with one f32 scale per block (Q8_0-like), quantized once at load.
import CKernels

/// A matrix (rows, columns) as int8 values plus per-block scales, x ≈ scale · q.
///
/// Layout: plain row-major values (rows, columns) and a separate row-major scale table (rows, columns / 32).
/// - Values and scales apart, not interleaved 34-byte blocks: every block then starts on a 32-byte boundary
///   (the buffer is 64-byte aligned and rows are whole blocks), so one block is exactly one ymm load.
/// - Rows not interleaved in groups of 4: the micro-kernels read 4 rows as 4 sequential streams, which the hardware
///   prefetcher follows as well as one interleaved stream, and any row count works without padding rows.
/// - f32 scales, not f16: 4 bytes per 32 values (12.5% over the values, vs 6% for f16) buys a plain broadcast in
///   the kernels with no conversion and no rounding of the scale; at decode the extra bytes cost about 6% of
///   the weight traffic, which we accept for exactness of the scale.
public struct Int8Matrix: Sendable {
    public static let blockSize = Int(MG_Q8_BLOCK)

    public let rows: Int
    public let columns: Int
    public let values: AlignedBuffer<Int8>   // (rows, columns)
    public let scales: AlignedBuffer<Float>  // (rows, columns / blockSize)

    public var blocksPerRow: Int { columns / Self.blockSize }

    /// Quantizes an f32 matrix (rows, columns) in PyTorch layout; `columns` must be a multiple of 32.
    public init(quantizing weights: UnsafePointer<Float>, rows: Int, columns: Int) throws(Int8Error) {
        guard columns > 0, columns % Self.blockSize == 0 else {
            throw .columnsNotMultipleOfBlock(columns: columns, blockSize: Self.blockSize)
        }
        self.rows = rows
        self.columns = columns
        values = AlignedBuffer(count: rows * columns)
        scales = AlignedBuffer(count: rows * (columns / Self.blockSize))
        mg_q8_quantize(weights, Int64(rows), Int64(columns), values.pointer, scales.pointer)
    }

    public init(quantizing weights: AlignedBuffer<Float>, rows: Int, columns: Int) throws(Int8Error) {
        guard weights.count == rows * columns else { throw .sizeMismatch(expected: rows * columns, got: weights.count) }
        try self.init(quantizing: UnsafePointer(weights.pointer), rows: rows, columns: columns)
    }

    /// Writes row `row` back as f32 (scale · q), for error checks and for code that needs f32 weights again.
    public func dequantize(row: Int, into out: UnsafeMutablePointer<Float>) {
        let nb = blocksPerRow
        for b in 0..<nb {
            let scale = scales[row * nb + b]
            let q = values.pointer + row * columns + b * Self.blockSize
            for k in 0..<Self.blockSize { out[b * Self.blockSize + k] = scale * Float(q[k]) }
        }
    }
}
