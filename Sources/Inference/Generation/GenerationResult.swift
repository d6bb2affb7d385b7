// What one generation produced and how long its two phases took.

public struct GenerationResult: Sendable {
    /// The text shown to the user: stop strings and end-of-turn tokens excluded.
    public var text: String
    /// Every sampled token, with log-probabilities when they were asked for.
    public var tokens: [SampledToken]
    public var finishReason: FinishReason
    public var promptTokenCount: Int
    /// Prompt tokens whose keys and values were already cached and not run again.
    public var cachedPromptTokenCount: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    public var seed: UInt64

    public var completionTokenCount: Int { tokens.count }
    public var prefillTokensPerSecond: Double {
        prefillSeconds > 0 ? Double(promptTokenCount - cachedPromptTokenCount) / prefillSeconds : 0
    }
    public var decodeTokensPerSecond: Double {
        decodeSeconds > 0 ? Double(max(0, tokens.count - 1)) / decodeSeconds : 0
    }
}

public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case promptTooLong(promptTokens: Int, contextLength: Int)
    case emptyPrompt

    public var description: String {
        switch self {
        case .promptTooLong(let n, let c):
            return "the prompt is \(n) tokens but the context holds \(c) (one more is needed for the answer); shorten the conversation or raise the context length"
        case .emptyPrompt: return "the prompt is empty"
        }
    }
}
