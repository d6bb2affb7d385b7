// Activations quantized on the fly for the int8 product (int16 values in the weights' 32-value blocks), in scratch
// owned by the calling thread.
import CKernels
import Foundation

/// Quantized rows of activations: int16 values (rows, columns), f32 scales and f32 block sums (rows, columns / 32).
/// int16, not int8: int8 activations were about half of the int8 model's logit error (BENCHMARKS.md, quality), and
/// the kernels multiply int8 weights by int16 values at the same instruction count. The sums feed the weights'
/// per-block offsets.
/// Grows only when a call needs more than it has, so after the first token a forward pass allocates nothing.
public final class Int8Activations {
    public private(set) var rows = 0
    public private(set) var columns = 0
    private(set) var values = AlignedBuffer<Int16>(count: 0)
    private(set) var scales = AlignedBuffer<Float>(count: 0)
    private(set) var sums = AlignedBuffer<Float>(count: 0)

    public init() {}

    public var blocksPerRow: Int { columns / Int8Matrix.blockSize }

    /// Quantizes x (rows, columns); `columns` must be whole blocks (the matrix checked it).
    public func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int) {
        reshape(rows: rows, columns: columns)
        mg_q8_quantize_activations(x, Int64(rows), Int64(columns), values.pointer, scales.pointer, sums.pointer)
    }

    /// Sets the shape (growing storage if needed) so slices can be quantized separately, e.g. by pool tasks.
    public func reshape(rows: Int, columns: Int) {
        precondition(columns % Int8Matrix.blockSize == 0, "activation rows must be whole 32-value blocks")
        if values.count < rows * columns { values = AlignedBuffer(count: rows * columns) }
        if scales.count < rows * columns / Int8Matrix.blockSize {
            scales = AlignedBuffer(count: rows * columns / Int8Matrix.blockSize)
            sums = AlignedBuffer(count: rows * columns / Int8Matrix.blockSize)
        }
        self.rows = rows
        self.columns = columns
    }

    /// Quantizes columns [first, first + count) of row `row` from `x` (that row's values at x[first...]); block
    /// boundaries must line up with 32-value blocks. Blocks are quantized independently (scale, values and sum of
    /// each), so slicing a row this way gives exactly the bytes of quantizing it whole. Disjoint slices may be
    /// quantized from different threads.
    public func quantize(slice x: UnsafePointer<Float>, row: Int, first: Int, count: Int) {
        precondition(first % Int8Matrix.blockSize == 0 && count % Int8Matrix.blockSize == 0 && first + count <= columns,
                     "activation slices must be whole 32-value blocks inside the row")
        let block = (row * columns + first) / Int8Matrix.blockSize
        mg_q8_quantize_activations(x, 1, Int64(count), values.pointer + row * columns + first, scales.pointer + block,
                                   sums.pointer + block)
    }

    /// The kernels' view of every row.
    var kernelView: mg_q8_activations {
        mg_q8_activations(q: values.pointer, scales: scales.pointer, sums: sums.pointer)
    }

    /// This thread's scratch. One per thread, so concurrent forward passes on different threads never share it.
    public static var forCurrentThread: Int8Activations {
        if let raw = pthread_getspecific(threadKey) {
            return Unmanaged<Int8Activations>.fromOpaque(raw).takeUnretainedValue()
        }
        let scratch = Int8Activations()
        pthread_setspecific(threadKey, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        // The destructor releases the thread's scratch when the thread exits.
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<Int8Activations>.fromOpaque(raw).release() }
        }
        return key
    }()
}
