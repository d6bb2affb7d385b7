// The Llama-family forward pass, top to bottom like the maths:
// x = embed(token); per block: x += o(attention(rope(q(n1(x))), rope(k(n1(x))), v(n1(x)))); x += down(silu(gate(n2(x))) · up(n2(x)));
// logits = head(norm(x)).
import Foundation
import Quant

public enum ForwardError: Error, CustomStringConvertible, Equatable {
    case contextFull(needed: Int, capacity: Int)
    case tokenOutOfRange(token: Int32, vocabSize: Int)
    case emptyInput
    case batchTooLarge(rows: Int, capacity: Int)

    public var description: String {
        switch self {
        case .contextFull(let n, let c): return "the sequence needs \(n) positions but its KV cache holds \(c)"
        case .tokenOutOfRange(let t, let v): return "token id \(t) is outside the vocabulary (0..<\(v))"
        case .emptyInput: return "no tokens to run"
        case .batchTooLarge(let r, let c): return "a batch of \(r) rows does not fit the run state's \(c)"
        }
    }
}

/// Some tokens of one sequence, to run at the next positions of its cache.
public struct SequenceRun {
    public let tokens: ArraySlice<Int32>
    public let cache: KVCache
    /// Prompt tokens: they always take the prefill attention path, even one at a time, so a prompt row's numbers do
    /// not depend on how the prompt was cut into chunks (a prefix restored from the prefix cache ends anywhere).
    /// A single generated token takes the decode path.
    public let isPrompt: Bool

    public init(tokens: ArraySlice<Int32>, cache: KVCache, isPrompt: Bool = false) {
        self.tokens = tokens
        self.cache = cache
        self.isPrompt = isPrompt
    }
}

public final class LlamaModel: Sendable {
    public let weights: LlamaWeights
    public let config: ModelConfig
    let rope: Rope
    /// Every layer's matrices when all of them are int8 on one kernel and pool: the pass then fuses q/k/v and
    /// gate/up into single pool calls (same results, fewer wake-ups and quantizations).
    let int8Layers: [Int8LayerProducts]?
    /// How new caches store keys and values: f16 on the int8 serving path, f32 on the f32 reference path (which
    /// must stay within 1e-3 of transformers). MERGEGUARD_KV_CACHE=f32|f16 overrides it, for side-by-side runs.
    public let kvPrecision: KVPrecision

    public static let kvPrecisionEnvironmentVariable = "MERGEGUARD_KV_CACHE"

    public init(weights: LlamaWeights) {
        self.weights = weights
        config = weights.config
        rope = Rope(config: weights.config)
        let fused = weights.layers.compactMap(Int8LayerProducts.init)
        int8Layers = fused.count == weights.layers.count ? fused : nil
        let override = ProcessInfo.processInfo.environment[Self.kvPrecisionEnvironmentVariable].flatMap(KVPrecision.init(rawValue:))
        kvPrecision = override ?? (int8Layers != nil ? .f16 : .f32)
    }

    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(config: config, capacity: min(capacity ?? config.contextLength, config.contextLength), precision: kvPrecision)
    }

    public func makeState(maxBatch: Int = 64, maxPositions: Int? = nil) -> RunState {
        RunState(config: config, maxBatch: maxBatch, maxPositions: maxPositions ?? config.contextLength)
    }

    /// Runs `tokens` at the next positions of `cache` (prefill in chunks of the state's batch) and returns the logits
    /// of the last token, or of every token of the final chunk when `allLogits` is set (rows of `vocabSize`).
    @discardableResult
    public func forward(tokens: [Int32], cache: KVCache, state: RunState, allLogits: Bool = false) throws(ForwardError)
        -> UnsafeMutableBufferPointer<Float> {
        guard !tokens.isEmpty else { throw .emptyInput }
        try check(tokens, cache: cache, state: state)
        var start = 0
        var rows = 0
        while start < tokens.count {
            rows = min(state.maxBatch, tokens.count - start)
            run([SequenceRun(tokens: tokens[start..<(start + rows)], cache: cache)], state: state)
            start += rows
        }
        let c = config
        if allLogits {
            weights.output.forward(state.x.pointer, rows: rows, into: state.logits.pointer)
            return UnsafeMutableBufferPointer(start: state.logits.pointer, count: rows * c.vocabSize)
        }
        weights.output.forward(state.x.pointer + (rows - 1) * c.hiddenSize, rows: 1, into: state.logits.pointer)
        return UnsafeMutableBufferPointer(start: state.logits.pointer, count: c.vocabSize)
    }

    /// Advances several sequences in one pass: each run's tokens go at the next positions of its own cache, while the
    /// weight matrices are read once for all rows (continuous batching). Returns one row of logits per run, for its
    /// last token, in run order. The runs' tokens together must fit the state's batch.
    public func forward(runs: [SequenceRun], state: RunState) throws(ForwardError) -> UnsafeMutableBufferPointer<Float> {
        let rows = runs.reduce(0) { $0 + $1.tokens.count }
        guard rows > 0, runs.allSatisfy({ !$0.tokens.isEmpty }) else { throw .emptyInput }
        guard rows <= state.maxBatch else { throw .batchTooLarge(rows: rows, capacity: state.maxBatch) }
        for r in runs { try check(r.tokens, cache: r.cache, state: state) }
        run(runs, state: state)
        // Gather each run's last row, then one head product for all of them.
        let dim = config.hiddenSize
        var row = 0
        for (i, r) in runs.enumerated() {
            row += r.tokens.count
            (state.xb.pointer + i * dim).update(from: state.x.pointer + (row - 1) * dim, count: dim)
        }
        weights.output.forward(state.xb.pointer, rows: runs.count, into: state.logits.pointer)
        return UnsafeMutableBufferPointer(start: state.logits.pointer, count: runs.count * config.vocabSize)
    }

    private func check<C: Collection<Int32>>(_ tokens: C, cache: KVCache, state: RunState) throws(ForwardError) {
        guard cache.count + tokens.count <= min(cache.capacity, state.maxPositions) else {
            throw .contextFull(needed: cache.count + tokens.count, capacity: min(cache.capacity, state.maxPositions))
        }
        for t in tokens where t < 0 || Int(t) >= config.vocabSize { throw .tokenOutOfRange(token: t, vocabSize: config.vocabSize) }
    }

    /// The decoder blocks over the rows of every run; leaves the final-normed hidden states in `state.x`.
    private func run(_ runs: [SequenceRun], state s: RunState) {
        let c = config
        let dim = c.hiddenSize
        let half = c.headDim / 2
        let n = runs.reduce(0) { $0 + $1.tokens.count }
        // Where each run's rows start, and the position of its first token.
        let firstRow = s.firstRows.pointer
        var row = 0
        for (i, r) in runs.enumerated() {
            firstRow[i] = row
            rope.tables(positions: r.cache.count..<(r.cache.count + r.tokens.count),
                        cos: s.cos.pointer + row * half, sin: s.sin.pointer + row * half)
            // x = embed(tokens)
            for token in r.tokens {
                (s.x.pointer + row * dim).update(from: weights.tokenEmbedding.pointer + Int(token) * dim, count: dim)
                row += 1
            }
        }

        // xb = n1(x) of the first layer; after that every norm (and its quantization) is fused with the residual
        // add before it.
        normalize(s, rows: n, weight: weights.layers[0].attentionNorm.pointer, quantize: int8Layers != nil)
        for (l, layer) in weights.layers.enumerated() {
            let int8 = int8Layers?[l]
            // Attention sub-block: h = x + o(attention(n1(x)))
            if let int8 {
                int8.queryKeyValue(s.quantizedInput, q: s.q.pointer, k: s.k.pointer, v: s.v.pointer)
            } else {
                layer.query.forward(s.xb.pointer, rows: n, into: s.q.pointer)
                layer.key.forward(s.xb.pointer, rows: n, into: s.k.pointer)
                layer.value.forward(s.xb.pointer, rows: n, into: s.v.pointer)
            }
            rope.apply(s.q.pointer, rows: n, heads: c.headCount, cos: s.cos.pointer, sin: s.sin.pointer)
            rope.apply(s.k.pointer, rows: n, heads: c.kvHeadCount, cos: s.cos.pointer, sin: s.sin.pointer)
            var decodeRows = 0
            for (i, r) in runs.enumerated() {
                let first = firstRow[i], count = r.tokens.count, start = r.cache.count
                r.cache.store(layer: l, at: start, rows: count, keys: s.k.pointer + first * c.kvDim,
                              values: s.v.pointer + first * c.kvDim)
                if count == 1 && !r.isPrompt {
                    // Decode rows of all runs go to the pool together, one task per (row, head).
                    s.decodeRows[decodeRows] = DecodeAttentionRow(
                        query: s.q.pointer + first * c.qDim, keys: r.cache.keys(l), values: r.cache.values(l),
                        f16: r.cache.isF16, headBytes: r.cache.headBytes, positions: start + 1,
                        out: s.attention.pointer + first * c.qDim)
                    decodeRows += 1
                } else {
                    attention(layer: l, firstRow: first, rows: count, start: start, cache: r.cache, state: s)
                }
            }
            if decodeRows > 0 { decodeAttention(rows: decodeRows, state: s) }
            layer.attentionOutput.forward(s.attention.pointer, rows: n, into: s.projected.pointer)
            // x = h; xb = n2(h)
            normalize(s, rows: n, adding: s.projected.pointer, weight: layer.ffnNorm.pointer, quantize: int8 != nil)

            // Feed-forward sub-block: x = h + down(silu(gate(n2(h))) · up(n2(h)))
            if let int8 {
                int8.feedForward(s.quantizedInput, gate: s.gate.pointer, up: s.up.pointer, hidden: s.quantizedHidden,
                                 into: s.projected.pointer)
            } else {
                layer.gate.forward(s.xb.pointer, rows: n, into: s.gate.pointer)
                layer.up.forward(s.xb.pointer, rows: n, into: s.up.pointer)
                F32.swiGLU(gate: s.gate.pointer, up: s.up.pointer, count: n * c.intermediateSize)
                layer.down.forward(s.gate.pointer, rows: n, into: s.projected.pointer)
            }
            // x += ffn; then the next layer's n1(x) into xb, or after the last layer the final norm in place.
            if l + 1 < weights.layers.count {
                normalize(s, rows: n, adding: s.projected.pointer, weight: weights.layers[l + 1].attentionNorm.pointer,
                          quantize: int8 != nil)
            } else {
                normalize(s, rows: n, adding: s.projected.pointer, weight: weights.outputNorm.pointer, quantize: false,
                          inPlace: true)
            }
        }
        for r in runs { r.cache.count += r.tokens.count }
    }

    /// x += adding (when given), then xb = rmsNorm(x) · weight (or x itself when `inPlace`), quantized into
    /// `quantizedInput` for the int8 products — row by row over the pool.
    private func normalize(_ s: RunState, rows n: Int, adding delta: UnsafePointer<Float>? = nil,
                           weight: UnsafePointer<Float>, quantize: Bool, inPlace: Bool = false) {
        var job = ResidualNormJob(x: s.x.pointer, delta: delta, weight: weight, out: inPlace ? s.x.pointer : s.xb.pointer,
                                  quantized: quantize ? s.quantizedInput : nil, rows: n, dim: config.hiddenSize,
                                  eps: config.rmsNormEps)
        job.runAll(pool: ThreadPool.shared)
    }

    /// Causal grouped-query attention of a prefill chunk's queries (several rows; a single decode row goes through
    /// `decodeAttention(rows:state:)`) over every cached position, split over the pool by (head, block of rows):
    /// scores = q·Kᵀ/√d (future positions skipped), softmax, out = scores·V — strided reads, no copies of the cache
    /// beyond each task's transposed keys in its thread's scratch.
    private func attention(layer l: Int, firstRow: Int, rows n: Int, start: Int, cache: KVCache, state s: RunState) {
        let c = config
        var job = PrefillAttentionJob(query: s.q.pointer + firstRow * c.qDim, keys: cache.keys(l),
                                      values: cache.values(l), f16: cache.isF16,
                                      out: s.attention.pointer + firstRow * c.qDim,
                                      rows: n, start: start, heads: c.headCount, group: c.headCount / c.kvHeadCount,
                                      headDim: c.headDim, qDim: c.qDim, headBytes: cache.headBytes,
                                      scale: 1 / Float(c.headDim).squareRoot())
        if n * (start + n) * c.qDim < PrefillAttentionJob.minParallelWork {
            for t in 0..<job.taskCount { job.run(task: t) }
            return
        }
        withUnsafePointer(to: &job) { context in
            ThreadPool.shared.parallelFor(tasks: context.pointee.taskCount, context: UnsafeRawPointer(context)) { context, t in
                context.assumingMemoryBound(to: PrefillAttentionJob.self).pointee.run(task: t)
            }
        }
    }

    /// Attention of every decode row (one query at the end of its own sequence) through the pool: on AVX2 machines
    /// in tasks of (row, key/value head, half of the positions) whose parts are then combined, otherwise in tasks of
    /// (row, range of heads). A head's numbers depend on neither the thread count nor the other rows (the halves are
    /// cut by position count alone, and the kernel runs each head's operations in one fixed order whatever heads share
    /// its call), so the split changes only which core does the work.
    private func decodeAttention(rows: Int, state s: RunState) {
        let c = config
        var work = 0
        for r in 0..<rows { work += s.decodeRows[r].positions }
        let serial = work * c.qDim < DecodeAttentionJob.minParallelWork
        var job = DecodeAttentionJob(rows: UnsafePointer(s.decodeRows.pointer), rowCount: rows, heads: c.headCount,
                                     group: c.headCount / c.kvHeadCount, headDim: c.headDim,
                                     scale: 1 / Float(c.headDim).squareRoot(),
                                     threads: serial ? 1 : ThreadPool.shared.threadCount,
                                     partials: DecodeAttention.usesAVX2 ? s.attentionPartials.pointer : nil)
        if serial {
            for t in 0..<job.taskCount { job.run(task: t) }
        } else {
            withUnsafePointer(to: &job) { context in
                ThreadPool.shared.parallelFor(tasks: context.pointee.taskCount, context: UnsafeRawPointer(context)) { context, t in
                    context.assumingMemoryBound(to: DecodeAttentionJob.self).pointee.run(task: t)
                }
            }
        }
        job.combine()
    }
}
