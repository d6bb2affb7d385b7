// The tokens of one sequence (prompt, then output) and how often each output token occurred, kept up to date
// one token at a time so the penalties never recount.

public struct TokenHistory: Sendable, Equatable {
    /// Prompt tokens followed by generated tokens.
    public private(set) var tokens: [Int32]
    public let promptCount: Int
    /// Occurrences of each generated token (not prompt tokens): what OpenAI's presence/frequency penalties read.
    public private(set) var generatedCounts: [Int32: Int] = [:]

    public init(prompt: [Int32] = []) {
        tokens = prompt
        promptCount = prompt.count
    }

    public var generatedCount: Int { tokens.count - promptCount }

    public var generated: ArraySlice<Int32> { tokens[promptCount...] }

    /// Records a generated token.
    public mutating func append(_ token: Int32) {
        tokens.append(token)
        generatedCounts[token, default: 0] += 1
    }

    /// The last `n` tokens of prompt + output; -1 means all of them.
    public func recent(_ n: Int) -> ArraySlice<Int32> {
        n < 0 ? tokens[...] : tokens.suffix(n)
    }
}
