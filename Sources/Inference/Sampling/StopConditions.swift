// When generation ends on a token rather than on text: an end-of-generation id or the token limit.

/// Why a completion ended, with OpenAI's `finish_reason` strings.
public enum FinishReason: String, Sendable, Equatable {
    /// An end-of-generation token or a stop string.
    case stop
    /// `max_tokens` reached (or the context is full; the generation loop reports that itself).
    case length
}

public struct StopConditions: Sendable, Equatable {
    /// EOS / end-of-turn ids from the model's metadata; such a token ends the text and is not part of it.
    public var endOfGenerationTokens: Set<Int32>
    /// nil = no limit.
    public var maxTokens: Int?

    public init(endOfGenerationTokens: Set<Int32>, maxTokens: Int? = nil) {
        self.endOfGenerationTokens = endOfGenerationTokens
        self.maxTokens = maxTokens
    }

    public init(endOfGenerationTokens: Set<Int32>, parameters: SamplingParameters) {
        self.init(endOfGenerationTokens: endOfGenerationTokens, maxTokens: parameters.maxTokens)
    }

    /// Checked after each sampled token; `generatedCount` includes that token. An end-of-generation token wins
    /// over the limit, so a reply that ends exactly at max_tokens with EOS reports "stop".
    public func finishReason(after token: Int32, generatedCount: Int) -> FinishReason? {
        if endOfGenerationTokens.contains(token) { return .stop }
        if let maxTokens, generatedCount >= maxTokens { return .length }
        return nil
    }
}
