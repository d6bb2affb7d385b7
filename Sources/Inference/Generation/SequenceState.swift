// One conversation's KV cache and scratch, plus the tokens the cache holds, so a follow-up prompt that extends
// them (the next chat turn) only runs its new tokens.

public final class SequenceState: @unchecked Sendable {
    // @unchecked Sendable: a sequence is advanced by one generation at a time; its owner serializes access.
    public let cache: KVCache
    let state: RunState
    /// The tokens whose keys and values are in `cache`, in order.
    public private(set) var tokens: [Int32] = []

    public init(model: LlamaModel, contextLength: Int, prefillBatch: Int = 64) {
        let capacity = min(contextLength, model.config.contextLength)
        cache = model.makeCache(capacity: capacity)
        state = model.makeState(maxBatch: prefillBatch, maxPositions: capacity)
    }

    public var capacity: Int { cache.capacity }

    /// Keeps the longest cached prefix shared with `prompt`, but always leaves at least one prompt token to run,
    /// because the next token's logits come from running the last prompt token.
    func reusablePrefix(of prompt: [Int32]) -> Int {
        var shared = 0
        let limit = min(tokens.count, prompt.count - 1)
        while shared < limit && tokens[shared] == prompt[shared] { shared += 1 }
        return shared
    }

    func truncate(to length: Int) {
        cache.truncate(to: length)
        tokens.removeLast(tokens.count - length)
    }

    func appendRun(_ run: ArraySlice<Int32>) { tokens.append(contentsOf: run) }

    /// Forgets everything (a new conversation).
    public func reset() { truncate(to: 0) }
}
