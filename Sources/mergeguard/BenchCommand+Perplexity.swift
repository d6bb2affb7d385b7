// `mergeguard bench --perplexity FILE`: the quality side of a weight format, perplexity over a text.
import Foundation
import Inference
import Quant

extension BenchCommand {
    func runPerplexity(model: LlamaModel, name: String, tokenizerSource: String, textFile: String,
                       weights: String, head: String) throws {
        let window = try options.int("--window") ?? 512
        let text = try String(contentsOfFile: textFile, encoding: .utf8)
        let tokens = try Self.tokenizer(of: tokenizerSource).encode(text, addBOS: false, parseSpecial: false)
        let clock = ContinuousClock()
        let start = clock.now
        let result = try Perplexity.evaluate(model: model, tokens: tokens, window: window)
        let seconds = (clock.now - start).seconds
        let kernel = weights == "int8" || head == "int8" ? Int8Kernel.active.rawValue : "OpenBLAS"
        let report: [String: Any] = [
            "model": name, "weights": weights, "head": head, "kernel": kernel, "text": textFile,
            "tokens": tokens.count, "window": window, "windows": result.windows, "scored_tokens": result.scoredTokens,
            "mean_negative_log_likelihood": result.meanNegativeLogLikelihood, "perplexity": result.perplexity,
            "seconds": seconds,
        ]
        if options.has("--json") {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("model \(name) · weights \(weights), head \(head) · kernel \(kernel)")
        print(String(format: "perplexity %.4f (mean NLL %.6f) over %d tokens of %@: %d windows of %d, %d scored, %.1f s",
                     result.perplexity, result.meanNegativeLogLikelihood, tokens.count, textFile, result.windows, window,
                     result.scoredTokens, seconds))
    }

    /// The tokenizer of the checkpoint at `path` (GGUF metadata, or an HF folder's tokenizer.json).
    static func tokenizer(of path: String) throws -> BPETokenizer {
        let checkpoint = try ModelCheckpoint.open(path: path)
        if let gguf = checkpoint.gguf { return try BPETokenizer(gguf: gguf) }
        guard let file = checkpoint.huggingFace?.tokenizerPath else { throw ChatModelError.missingTokenizer(folder: path) }
        return try BPETokenizer(tokenizerJSONFile: file)
    }
}
