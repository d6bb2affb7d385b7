// Perplexity of a model over a token sequence: the quality check of a weight format (int8 against the f32 reference).
import Foundation

public enum PerplexityError: Error, Equatable, CustomStringConvertible {
    case tooFewTokens(count: Int)
    case windowTooSmall(window: Int)

    public var description: String {
        switch self {
        case .tooFewTokens(let n): return "perplexity needs at least 2 tokens of text, got \(n)"
        case .windowTooSmall(let w): return "a perplexity window of \(w) tokens scores nothing; use at least 2"
        }
    }
}

/// Mean negative log-likelihood of the scored tokens (natural log) and its exponential, the perplexity.
public struct PerplexityResult: Sendable, Equatable {
    public let scoredTokens: Int
    public let windows: Int
    public let meanNegativeLogLikelihood: Double
    public var perplexity: Double { exp(meanNegativeLogLikelihood) }
}

public enum Perplexity {
    /// Splits `tokens` into consecutive windows of `window` tokens (the last one may be shorter), runs each from an
    /// empty cache, and scores every token of a window but its first from the tokens before it in the same window.
    /// This is transformers' strided recipe with stride = window (scripts/goldens/make_perplexity_golden.py runs the
    /// same windows), so both engines score exactly the same predictions. Prefill goes in chunks of `batch` rows, and
    /// every chunk's logits are scored before the next chunk overwrites them.
    public static func evaluate(model: LlamaModel, tokens: [Int32], window: Int, batch: Int = 64) throws -> PerplexityResult {
        guard window >= 2 else { throw PerplexityError.windowTooSmall(window: window) }
        guard tokens.count >= 2 else { throw PerplexityError.tooFewTokens(count: tokens.count) }
        let state = model.makeState(maxBatch: batch, maxPositions: window)
        let vocab = model.config.vocabSize
        var total = 0.0
        var scored = 0
        var windows = 0
        for start in stride(from: 0, to: tokens.count - 1, by: window) {
            let windowTokens = Array(tokens[start..<min(start + window, tokens.count)])
            guard windowTokens.count >= 2 else { break }
            windows += 1
            let cache = model.makeCache(capacity: window)
            for chunkStart in stride(from: 0, to: windowTokens.count, by: batch) {
                let chunk = Array(windowTokens[chunkStart..<min(chunkStart + batch, windowTokens.count)])
                let logits = try model.forward(tokens: chunk, cache: cache, state: state, allLogits: true)
                // Row r predicts the token at window position chunkStart + r + 1.
                for r in 0..<chunk.count where chunkStart + r + 1 < windowTokens.count {
                    let row = UnsafeBufferPointer(rebasing: logits[(r * vocab)..<((r + 1) * vocab)])
                    total += negativeLogLikelihood(row, target: Int(windowTokens[chunkStart + r + 1]))
                    scored += 1
                }
            }
        }
        withExtendedLifetime(state) {}
        return PerplexityResult(scoredTokens: scored, windows: windows, meanNegativeLogLikelihood: total / Double(scored))
    }

    /// -log softmax(logits)[target], with the maximum subtracted first and the sum of exponentials in Double.
    static func negativeLogLikelihood(_ logits: UnsafeBufferPointer<Float>, target: Int) -> Double {
        var maximum = -Float.infinity
        for v in logits { maximum = max(maximum, v) }
        var sum = 0.0
        for v in logits { sum += Double(expf(v - maximum)) }
        return log(sum) - Double(logits[target] - maximum)
    }
}
