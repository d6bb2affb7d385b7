// The Llama-family forward pass, top to bottom like the maths:
// x = embed(token); per block: x += o(attention(rope(q(n1(x))), rope(k(n1(x))), v(n1(x)))); x += down(silu(gate(n2(x))) · up(n2(x)));
// logits = head(norm(x)).
import Quant

public enum ForwardError: Error, CustomStringConvertible, Equatable {
    case contextFull(needed: Int, capacity: Int)
    case tokenOutOfRange(token: Int32, vocabSize: Int)
    case emptyInput

    public var description: String {
        switch self {
        case .contextFull(let n, let c): return "the sequence needs \(n) positions but its KV cache holds \(c)"
        case .tokenOutOfRange(let t, let v): return "token id \(t) is outside the vocabulary (0..<\(v))"
        case .emptyInput: return "no tokens to run"
        }
    }
}

public final class LlamaModel: Sendable {
    public let weights: LlamaWeights
    public let config: ModelConfig
    let rope: Rope

    public init(weights: LlamaWeights) {
        self.weights = weights
        config = weights.config
        rope = Rope(config: weights.config)
    }

    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(config: config, capacity: min(capacity ?? config.contextLength, config.contextLength))
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
        guard cache.count + tokens.count <= min(cache.capacity, state.maxPositions) else {
            throw .contextFull(needed: cache.count + tokens.count, capacity: min(cache.capacity, state.maxPositions))
        }
        for t in tokens where t < 0 || Int(t) >= config.vocabSize { throw .tokenOutOfRange(token: t, vocabSize: config.vocabSize) }
        var start = 0
        var rows = 0
        while start < tokens.count {
            rows = min(state.maxBatch, tokens.count - start)
            tokens[start..<(start + rows)].withUnsafeBufferPointer { forwardChunk($0, cache: cache, state: state) }
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

    /// One chunk of at most `maxBatch` tokens; leaves the final-normed hidden states in `state.x`.
    private func forwardChunk(_ tokens: UnsafeBufferPointer<Int32>, cache: KVCache, state s: RunState) {
        let c = config
        let n = tokens.count
        let dim = c.hiddenSize
        let start = cache.count

        // x = embed(tokens)
        for (row, token) in tokens.enumerated() {
            (s.x.pointer + row * dim).update(from: weights.tokenEmbedding.pointer + Int(token) * dim, count: dim)
        }
        rope.tables(positions: start..<(start + n), cos: s.cos.pointer, sin: s.sin.pointer)

        for (l, layer) in weights.layers.enumerated() {
            // Attention sub-block: h = x + o(attention(n1(x)))
            for r in 0..<n {
                F32.rmsNorm(s.x.pointer + r * dim, weight: layer.attentionNorm.pointer, count: dim, eps: c.rmsNormEps,
                            into: s.xb.pointer + r * dim)
            }
            layer.query.forward(s.xb.pointer, rows: n, into: s.q.pointer)
            layer.key.forward(s.xb.pointer, rows: n, into: s.k.pointer)
            layer.value.forward(s.xb.pointer, rows: n, into: s.v.pointer)
            rope.apply(s.q.pointer, rows: n, heads: c.headCount, cos: s.cos.pointer, sin: s.sin.pointer)
            rope.apply(s.k.pointer, rows: n, heads: c.kvHeadCount, cos: s.cos.pointer, sin: s.sin.pointer)
            (cache.keys[l].pointer + start * c.kvDim).update(from: s.k.pointer, count: n * c.kvDim)
            (cache.values[l].pointer + start * c.kvDim).update(from: s.v.pointer, count: n * c.kvDim)
            attention(layer: l, rows: n, start: start, cache: cache, state: s)
            layer.attentionOutput.forward(s.attention.pointer, rows: n, into: s.projected.pointer)
            F32.add(s.projected.pointer, into: s.x.pointer, count: n * dim)

            // Feed-forward sub-block: x = h + down(silu(gate(n2(h))) · up(n2(h)))
            for r in 0..<n {
                F32.rmsNorm(s.x.pointer + r * dim, weight: layer.ffnNorm.pointer, count: dim, eps: c.rmsNormEps,
                            into: s.xb.pointer + r * dim)
            }
            layer.gate.forward(s.xb.pointer, rows: n, into: s.gate.pointer)
            layer.up.forward(s.xb.pointer, rows: n, into: s.up.pointer)
            F32.swiGLU(gate: s.gate.pointer, up: s.up.pointer, count: n * c.intermediateSize)
            layer.down.forward(s.gate.pointer, rows: n, into: s.projected.pointer)
            F32.add(s.projected.pointer, into: s.x.pointer, count: n * dim)
        }
        cache.count = start + n

        for r in 0..<n {
            F32.rmsNorm(s.x.pointer + r * dim, weight: weights.outputNorm.pointer, count: dim, eps: c.rmsNormEps,
                        into: s.x.pointer + r * dim)
        }
    }

    /// Causal grouped-query attention of the chunk's queries over every cached position, one head at a time:
    /// scores = q·Kᵀ/√d (future masked), softmax, out = scores·V — strided products, no copies of the cache.
    private func attention(layer l: Int, rows n: Int, start: Int, cache: KVCache, state s: RunState) {
        let c = config
        let positions = start + n
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(c.headDim).squareRoot()
        for h in 0..<c.headCount {
            let kvHead = h / group
            F32.gemm(m: n, n: positions, k: c.headDim, alpha: scale,
                     a: s.q.pointer + h * c.headDim, lda: c.qDim,
                     b: cache.keys[l].pointer + kvHead * c.headDim, ldb: c.kvDim, transposeB: true,
                     c: s.scores.pointer, ldc: positions)
            for r in 0..<n {
                let row = s.scores.pointer + r * positions
                let visible = start + r + 1
                F32.softmax(row, count: visible)
                for p in visible..<positions { row[p] = 0 }
            }
            F32.gemm(m: n, n: c.headDim, k: positions,
                     a: s.scores.pointer, lda: positions,
                     b: cache.values[l].pointer + kvHead * c.headDim, ldb: c.kvDim, transposeB: false,
                     c: s.attention.pointer + h * c.headDim, ldc: c.qDim)
        }
    }
}
