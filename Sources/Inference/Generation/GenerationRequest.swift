// A request handed to the batch engine, and the events it streams back.

/// What a running sequence reports, in order: any number of `.token`, then exactly one `.finished` or `.failed`.
public enum GenerationEvent: Sendable {
    /// A sampled token and the visible text it completed (may be empty: half a character, or a possible stop prefix).
    case token(SampledToken, text: String)
    case finished(GenerationSummary)
    case failed(any Error)
}

public struct GenerationSummary: Sendable {
    public var finishReason: FinishReason
    public var promptTokenCount: Int
    public var completionTokenCount: Int
    /// Seconds from submission to the first sampled token (queueing + prefill).
    public var timeToFirstToken: Double
    /// Seconds from the first token to the last.
    public var decodeSeconds: Double
    public var seed: UInt64
    /// Text flushed at the end (held back as a possible stop-string start, then released).
    public var trailingText: String
}

public struct GenerationRequest: Sendable {
    public var prompt: [Int32]
    public var parameters: SamplingParameters
    /// Receives events on the engine's thread; must return quickly. Returning false cancels the sequence
    /// (the client went away): it is dropped before the next step and its cache is freed.
    public var sink: @Sendable (GenerationEvent) -> Bool

    public init(prompt: [Int32], parameters: SamplingParameters, sink: @escaping @Sendable (GenerationEvent) -> Bool) {
        self.prompt = prompt
        self.parameters = parameters
        self.sink = sink
    }
}

public enum BatchEngineError: Error, CustomStringConvertible, Equatable {
    case queueFull(capacity: Int)
    case promptTooLong(promptTokens: Int, contextLength: Int)
    case emptyPrompt
    case stopped

    public var description: String {
        switch self {
        case .queueFull(let c): return "the server is busy: \(c) requests are already waiting; retry shortly"
        case .promptTooLong(let n, let c):
            return "the prompt is \(n) tokens but the model's context holds \(c) (one more is needed for the answer); shorten the prompt"
        case .emptyPrompt: return "the prompt is empty"
        case .stopped: return "the model is being unloaded"
        }
    }
}
