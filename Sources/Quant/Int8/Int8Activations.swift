// Activations quantized on the fly (same 32-value blocks as the weights), in scratch owned by the calling thread.
import CKernels
import Foundation

/// Quantized rows of activations: int8 values (rows, columns) and f32 scales (rows, columns / 32).
/// Grows only when a call needs more than it has, so after the first token a forward pass allocates nothing.
public final class Int8Activations {
    public private(set) var rows = 0
    public private(set) var columns = 0
    private(set) var values = AlignedBuffer<Int8>(count: 0)
    private(set) var scales = AlignedBuffer<Float>(count: 0)

    public init() {}

    public var blocksPerRow: Int { columns / Int8Matrix.blockSize }

    /// Quantizes x (rows, columns) with the weights' quantizer; `columns` must be whole blocks (the matrix checked it).
    public func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int) {
        reshape(rows: rows, columns: columns)
        mg_q8_quantize(x, Int64(rows), Int64(columns), values.pointer, scales.pointer)
    }

    /// Sets the shape (growing storage if needed) so slices can be quantized separately, e.g. by pool tasks.
    public func reshape(rows: Int, columns: Int) {
        precondition(columns % Int8Matrix.blockSize == 0, "activation rows must be whole 32-value blocks")
        if values.count < rows * columns { values = AlignedBuffer(count: rows * columns) }
        if scales.count < rows * columns / Int8Matrix.blockSize {
            scales = AlignedBuffer(count: rows * columns / Int8Matrix.blockSize)
        }
        self.rows = rows
        self.columns = columns
    }

    /// Quantizes columns [first, first + count) of row `row` from `x` (that row's values at x[first...]); block
    /// boundaries must line up with 32-value blocks. Blocks are quantized independently, so slicing a row this way
    /// gives exactly the bytes of quantizing it whole. Disjoint slices may be quantized from different threads.
    public func quantize(slice x: UnsafePointer<Float>, row: Int, first: Int, count: Int) {
        precondition(first % Int8Matrix.blockSize == 0 && count % Int8Matrix.blockSize == 0 && first + count <= columns,
                     "activation slices must be whole 32-value blocks inside the row")
        mg_q8_quantize(x, 1, Int64(count), values.pointer + row * columns + first,
                       scales.pointer + (row * columns + first) / Int8Matrix.blockSize)
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
