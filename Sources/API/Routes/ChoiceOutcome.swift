// What one choice of a completion produced, gathered from the engine's events.
import Inference

struct ChoiceOutcome: Sendable {
    var text = ""
    var logprobs: [LogprobEntry]?
    var finishReason: FinishReason = .stop
    var completionTokens = 0
    var error: (any Error)?
}

/// Turns the engine's token events into OpenAI logprob entries (the token's own text and bytes).
struct LogprobFormatter: Sendable {
    let tokenizer: BPETokenizer

    func entry(for token: SampledToken) -> LogprobEntry? {
        guard let logprob = token.logprob else { return nil }
        func text(_ id: Int32) -> (String, [UInt8]) {
            let bytes = tokenizer.bytes(of: id)
            return (String(decoding: bytes, as: UTF8.self), bytes)
        }
        let (t, b) = text(token.id)
        return LogprobEntry(token: t, bytes: b, logprob: logprob,
                            top: token.topLogprobs.map { alt in let (s, bytes) = text(alt.id); return (s, bytes, alt.logprob) })
    }
}
