// Everything that can be wrong with a sampling request, each naming the request field so the server can answer 400.

public enum SamplingError: Error, CustomStringConvertible, Equatable {
    case invalidParameter(field: SamplingParameters.Field, value: String, requirement: String)
    case emptyStopString(index: Int)
    case topLogprobsWithoutLogprobs(topLogprobs: Int)
    case invalidVocabularySize(Int)
    case logitCountMismatch(expected: Int, got: Int)

    /// The offending request field (OpenAI's name), or nil when the fault is the caller's, not the request's.
    public var field: SamplingParameters.Field? {
        switch self {
        case .invalidParameter(let field, _, _): return field
        case .emptyStopString: return .stop
        case .topLogprobsWithoutLogprobs: return .topLogprobs
        case .invalidVocabularySize, .logitCountMismatch: return nil
        }
    }

    public var description: String {
        switch self {
        case .invalidParameter(let field, let value, let requirement):
            return "\(field.rawValue) is \(value); it must be \(requirement)"
        case .emptyStopString(let i):
            return "stop[\(i)] is an empty string; remove it or give a non-empty stop sequence"
        case .topLogprobsWithoutLogprobs(let n):
            return "top_logprobs is \(n) but logprobs is false; set logprobs to true to get alternatives"
        case .invalidVocabularySize(let n):
            return "the sampler needs a vocabulary of at least one token, got \(n)"
        case .logitCountMismatch(let expected, let got):
            return "the sampler was made for \(expected) logits (the vocabulary size) but got \(got); pass one row of logits"
        }
    }
}
