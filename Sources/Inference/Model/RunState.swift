// Scratch buffers of the forward pass, allocated once for a maximum batch of tokens (llama2.c's RunState).
import Quant

public final class RunState: @unchecked Sendable {
    // @unchecked Sendable: one RunState serves one forward pass at a time; callers never share it concurrently.
    public let maxBatch: Int
    public let maxPositions: Int
    let x: AlignedBuffer<Float>        // (batch, dim) residual stream
    let xb: AlignedBuffer<Float>       // (batch, dim) normalized input of a sub-block
    let q: AlignedBuffer<Float>        // (batch, qDim)
    let k: AlignedBuffer<Float>        // (batch, kvDim)
    let v: AlignedBuffer<Float>        // (batch, kvDim)
    let attention: AlignedBuffer<Float> // (batch, qDim) attention output before o_proj
    let projected: AlignedBuffer<Float> // (batch, dim) output of o_proj / down_proj
    let gate: AlignedBuffer<Float>     // (batch, hidden)
    let up: AlignedBuffer<Float>       // (batch, hidden)
    let cos: AlignedBuffer<Float>      // (batch, headDim/2)
    let sin: AlignedBuffer<Float>      // (batch, headDim/2)
    public let logits: AlignedBuffer<Float> // (batch, vocab); only the first row is filled unless all positions are asked for
    let firstRows: AlignedBuffer<Int>  // (batch) where each run's rows start in this step
    let decodeRows: AlignedBuffer<DecodeAttentionRow> // (batch) the step's single-row runs, for pooled attention
    let attentionPartials: AlignedBuffer<Float> // the decode rows' attention parts (DecodeAttentionJob)
    /// Int8 activations of the fused products: the normed input, and the gated hidden state for down_proj.
    let quantizedInput = Int8Activations()
    let quantizedHidden = Int8Activations()

    public init(config c: ModelConfig, maxBatch: Int, maxPositions: Int) {
        self.maxBatch = maxBatch
        self.maxPositions = maxPositions
        x = AlignedBuffer(count: maxBatch * c.hiddenSize)
        xb = AlignedBuffer(count: maxBatch * c.hiddenSize)
        q = AlignedBuffer(count: maxBatch * c.qDim)
        k = AlignedBuffer(count: maxBatch * c.kvDim)
        v = AlignedBuffer(count: maxBatch * c.kvDim)
        attention = AlignedBuffer(count: maxBatch * c.qDim)
        projected = AlignedBuffer(count: maxBatch * c.hiddenSize)
        gate = AlignedBuffer(count: maxBatch * c.intermediateSize)
        up = AlignedBuffer(count: maxBatch * c.intermediateSize)
        cos = AlignedBuffer(count: maxBatch * c.headDim / 2)
        sin = AlignedBuffer(count: maxBatch * c.headDim / 2)
        logits = AlignedBuffer(count: maxBatch * c.vocabSize)
        firstRows = AlignedBuffer(count: maxBatch)
        decodeRows = AlignedBuffer(count: maxBatch)
        attentionPartials = AlignedBuffer(count: DecodeAttentionJob.partialsCount(rows: maxBatch, heads: c.headCount,
                                                                                  headDim: c.headDim))
    }
}
