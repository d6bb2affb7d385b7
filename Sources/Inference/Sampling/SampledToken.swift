// What one sampling step returns: the token and, when asked for, its log-probability and the likeliest alternatives.

public struct TokenLogprob: Sendable, Equatable {
    public let id: Int32
    public let logprob: Float

    public init(id: Int32, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }
}

public struct SampledToken: Sendable, Equatable {
    public let id: Int32
    /// log p(id) under the model's raw distribution (see `Sampler`); nil unless `logprobs` was requested.
    public let logprob: Float?
    /// The `topLogprobs` most likely tokens under the same distribution, most likely first (ties: lower id).
    public let topLogprobs: [TokenLogprob]

    public init(id: Int32, logprob: Float? = nil, topLogprobs: [TokenLogprob] = []) {
        self.id = id
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}
