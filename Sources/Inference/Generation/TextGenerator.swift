// The generation loop of one sequence: prefill the prompt (reusing the cached prefix), then sample, decode and
// stream token by token until an end-of-turn token, a stop string, max tokens or a full context.
import Foundation

public final class TextGenerator: Sendable {
    public let model: LlamaModel
    public let tokenizer: BPETokenizer
    /// Tokens that end a turn (EOS, `<|im_end|>`, `<|eot_id|>` ...): generation stops and they are not shown.
    public let endOfGenerationTokens: Set<Int32>

    public init(model: LlamaModel, tokenizer: BPETokenizer, endOfGenerationTokens: Set<Int32>) {
        self.model = model
        self.tokenizer = tokenizer
        self.endOfGenerationTokens = endOfGenerationTokens
    }

    /// Runs `prompt` in `sequence` and generates. `onText` receives each piece of visible text as soon as it is
    /// safe to show (whole UTF-8 characters, never the start of a possible stop string); returning false cancels
    /// (finish reason `.stop`).
    public func generate(prompt: [Int32], in sequence: SequenceState, parameters: SamplingParameters,
                         onText: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        guard !prompt.isEmpty else { throw GenerationError.emptyPrompt }
        guard prompt.count < sequence.capacity else {
            throw GenerationError.promptTooLong(promptTokens: prompt.count, contextLength: sequence.capacity)
        }
        let sampler = try Sampler(vocabularySize: model.config.vocabSize, parameters: parameters)

        // Prefill: only the part of the prompt the cache does not already hold.
        let clock = ContinuousClock()
        let prefillStart = clock.now
        let cached = sequence.reusablePrefix(of: prompt)
        sequence.truncate(to: cached)
        var logits = try model.forward(tokens: Array(prompt[cached...]), cache: sequence.cache, state: sequence.state)
        sequence.appendRun(prompt[cached...])
        let prefillSeconds = (clock.now - prefillStart).seconds

        // Decode.
        let decodeStart = clock.now
        var history = TokenHistory(prompt: prompt)
        var output = OutputAssembler(tokenizer: tokenizer, parameters: parameters, endOfGenerationTokens: endOfGenerationTokens)
        var text = ""
        var sampled: [SampledToken] = []
        var finish = FinishReason.length
        while true {
            let token = try sampler.sample(logits: logits, history: history)
            sampled.append(token)
            history.append(token.id)
            let (piece, reason) = output.accept(token.id, generatedCount: sampled.count)
            text += piece
            if !piece.isEmpty && !onText(piece) { finish = .stop; break }
            if let reason { finish = reason; break }
            // The context is full: the answer ends here, as llama.cpp's server reports it (length).
            if sequence.tokens.count + 1 > sequence.capacity { finish = .length; break }
            logits = try model.forward(tokens: [token.id], cache: sequence.cache, state: sequence.state)
            sequence.appendRun([token.id])
        }
        let trailing = output.flush()
        if !trailing.isEmpty {
            text += trailing
            _ = onText(trailing)
        }
        return GenerationResult(text: text, tokens: sampled, finishReason: finish, promptTokenCount: prompt.count,
                                cachedPromptTokenCount: cached, prefillSeconds: prefillSeconds,
                                decodeSeconds: (clock.now - decodeStart).seconds, seed: sampler.seed)
    }
}

extension Duration {
    /// Seconds as a floating-point number, for rates and logs.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
