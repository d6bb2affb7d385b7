// What a request asks of the sampler: the knobs of the chain, the seed, the length limit and the stop strings.

/// Sampling knobs with OpenAI field semantics. Defaults are llama.cpp server's (`common_params_sampling`), so a
/// request that only sets `messages` samples as llama.cpp would; OpenAI's own defaults (temperature 1, top_p 1,
/// no top-k / min-p) are one assignment away.
public struct SamplingParameters: Sendable, Equatable {
    /// The request field each knob is read from; errors name it so the server can answer 400 with the param.
    public enum Field: String, Sendable, Equatable, CaseIterable {
        case temperature
        case topK = "top_k"
        case topP = "top_p"
        case minP = "min_p"
        case repetitionPenalty = "repetition_penalty"
        case penaltyLastN = "repeat_last_n"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
        case seed
        case maxTokens = "max_tokens"
        case stop
        case logprobs
        case topLogprobs = "top_logprobs"
    }

    /// Divides the logits before softmax; 0 means greedy (always the most likely token).
    public var temperature: Float = 0.8
    /// Keep only the k most likely tokens; 0 = off.
    public var topK: Int = 40
    /// Keep the smallest set of most likely tokens whose probability sums to at least topP; 1 = off.
    public var topP: Float = 0.95
    /// Drop tokens whose probability is below minP times the most likely token's; 0 = off.
    public var minP: Float = 0.05
    /// CTRL-style penalty on tokens seen in the last `penaltyLastN` tokens of prompt + output; 1 = off.
    public var repetitionPenalty: Float = 1
    /// How far back the repetition penalty looks: 0 = off, -1 = the whole prompt + output.
    public var penaltyLastN: Int = 64
    /// OpenAI: subtracted once from the logit of every token already generated; 0 = off.
    public var presencePenalty: Float = 0
    /// OpenAI: subtracted per occurrence from the logit of every token already generated; 0 = off.
    public var frequencyPenalty: Float = 0
    /// Same seed, same parameters and same logits give the same tokens on every run and platform; nil picks one.
    public var seed: UInt64? = nil
    /// Most tokens to generate; nil = until an end-of-generation token or the context is full.
    public var maxTokens: Int? = nil
    /// Generation ends before the first of these strings; the string itself is not returned.
    public var stop: [String] = []
    /// Report the chosen token's log-probability.
    public var logprobs: Bool = false
    /// Also report this many most likely alternatives (OpenAI allows 0...20); needs `logprobs`.
    public var topLogprobs: Int = 0

    public static let maxTopLogprobs = 20

    public init() {}

    /// Greedy decoding: the most likely token after penalties, no randomness.
    public static var greedy: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = 0
        return p
    }

    /// OpenAI's defaults: temperature 1 and top_p 1, with llama.cpp's extra truncations (top_k, min_p) off.
    public static var openAIDefaults: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = 1
        p.topK = 0
        p.topP = 1
        p.minP = 0
        return p
    }

    /// Checks every knob against its allowed range; the error names the request field.
    public func validate() throws(SamplingError) {
        func require(_ ok: Bool, _ field: Field, _ value: String, _ requirement: String) throws(SamplingError) {
            if !ok { throw .invalidParameter(field: field, value: value, requirement: requirement) }
        }
        // Written as `x >= lower` rather than `!(x < lower)` so NaN fails every check.
        try require(temperature.isFinite && temperature >= 0, .temperature, "\(temperature)",
                    "a finite number >= 0 (0 always picks the most likely token)")
        try require(topK >= 0, .topK, "\(topK)", "an integer >= 0 (0 turns top-k off)")
        try require(topP > 0 && topP <= 1, .topP, "\(topP)", "in (0, 1] (1 turns top-p off)")
        try require(minP >= 0 && minP <= 1, .minP, "\(minP)", "in [0, 1] (0 turns min-p off)")
        try require(repetitionPenalty.isFinite && repetitionPenalty > 0, .repetitionPenalty, "\(repetitionPenalty)",
                    "a finite number > 0 (1 turns it off, above 1 discourages repeats)")
        try require(penaltyLastN >= -1, .penaltyLastN, "\(penaltyLastN)",
                    "an integer >= -1 (0 turns the repetition penalty off, -1 looks at all tokens)")
        try require(presencePenalty >= -2 && presencePenalty <= 2, .presencePenalty, "\(presencePenalty)",
                    "in [-2, 2]")
        try require(frequencyPenalty >= -2 && frequencyPenalty <= 2, .frequencyPenalty, "\(frequencyPenalty)",
                    "in [-2, 2]")
        if let maxTokens {
            try require(maxTokens >= 1, .maxTokens, "\(maxTokens)", "an integer >= 1, or absent for no limit")
        }
        if let empty = stop.firstIndex(where: \.isEmpty) { throw .emptyStopString(index: empty) }
        try require(topLogprobs >= 0 && topLogprobs <= Self.maxTopLogprobs, .topLogprobs, "\(topLogprobs)",
                    "an integer in 0...\(Self.maxTopLogprobs)")
        if topLogprobs > 0 && !logprobs { throw .topLogprobsWithoutLogprobs(topLogprobs: topLogprobs) }
    }
}
