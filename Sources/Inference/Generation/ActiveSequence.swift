// One request inside the batch engine: its cache, sampler and decoding state, and where it is in its prompt.
import Foundation

final class ActiveSequence {
    let request: GenerationRequest
    let cache: KVCache
    let sampler: Sampler
    var history: TokenHistory
    var output: OutputAssembler
    /// Prompt tokens already run; the sequence decodes once this reaches the prompt's length.
    var prefilled = 0
    var generated = 0
    /// The token sampled last, to be run in the next step.
    var pending: Int32?
    let submitted: ContinuousClock.Instant
    var firstToken: ContinuousClock.Instant?
    /// Finished, failed or cancelled: removed after the current step, its cache freed.
    var isDone = false

    init(request: GenerationRequest, cache: KVCache, vocabularySize: Int, tokenizer: BPETokenizer,
         endOfGeneration: Set<Int32>, submitted: ContinuousClock.Instant) throws {
        self.request = request
        self.cache = cache
        sampler = try Sampler(vocabularySize: vocabularySize, parameters: request.parameters)
        history = TokenHistory(prompt: request.prompt)
        output = OutputAssembler(tokenizer: tokenizer, parameters: request.parameters, endOfGenerationTokens: endOfGeneration)
        self.submitted = submitted
    }

    var isPrefilling: Bool { prefilled < request.prompt.count }

    /// The tokens this sequence runs in the next step: a chunk of its prompt, or its last sampled token.
    func nextRun(prefillBudget: Int) -> ArraySlice<Int32> {
        if isPrefilling {
            let end = min(request.prompt.count, prefilled + max(1, prefillBudget))
            return request.prompt[prefilled..<end]
        }
        return [pending!][...]
    }
}
