// Continuous batching for one loaded model: every step advances all running sequences together (one weight read
// serves every row), new requests join between steps, and long prompts are prefilled in chunks interleaved with
// the others' decoding so a big prompt does not stall the streams already running.
import Foundation
import Quant

public struct BatchEngineConfiguration: Sendable {
    /// Rows (tokens) one step may run across all sequences.
    public var maxBatchRows = 64
    /// Sequences decoding at once.
    public var maxRunningSequences = 16
    /// Requests waiting for a slot; beyond this `submit` refuses (the server answers 429).
    public var queueCapacity = 64
    /// Prompt tokens one prefilling sequence runs per step.
    public var prefillChunk = 32
    /// Context per sequence (capped by the model's).
    public var contextLength = 4096
    /// KV positions all running sequences may hold together (each position costs 2·layers·kvDim values: 23 KB for
    /// SmolLM2 with the int8 path's f16 cache, so 32,768 positions are 0.75 GB and three such models fit the default
    /// 4 GB memory budget).
    public var kvBudgetPositions = 32_768
    /// Prompt positions kept for reuse by later prompts with the same beginning (the chat template and system prompt,
    /// earlier turns of a conversation); 0 turns the prefix cache off. 2,048 positions are 47 MB for SmolLM2 (f16).
    public var prefixCachePositions = 2_048

    public init() {}
}

public struct BatchEngineStatistics: Sendable, Equatable {
    public var queued: Int
    public var running: Int
    public var kvPositionsReserved: Int
    public var kvPositionsBudget: Int
    public var steps: Int
    /// Sequences advanced, summed over the steps: divided by `steps`, the mean batch a step ran.
    public var sequenceSteps = 0
    /// Prompt tokens taken from the prefix cache instead of being run, since the engine started.
    public var reusedPromptTokens = 0
}

public final class BatchEngine: @unchecked Sendable {
    // @unchecked Sendable: `queue`, `running`, `stopping` and `statistics` are guarded by `condition`; the sequences
    // themselves are touched only by the engine thread.
    public let model: LlamaModel
    public let tokenizer: BPETokenizer
    public let endOfGenerationTokens: Set<Int32>
    public let configuration: BatchEngineConfiguration
    public var contextLength: Int { min(configuration.contextLength, model.config.contextLength) }

    private let condition = NSCondition()
    private var queue: [(GenerationRequest, ContinuousClock.Instant)] = []
    private var stopping = false
    private var stats: BatchEngineStatistics
    private var running: [ActiveSequence] = []
    private let state: RunState
    private let prefixCache: PrefixCache
    private let clock = ContinuousClock()

    public init(model: LlamaModel, tokenizer: BPETokenizer, endOfGenerationTokens: Set<Int32>,
                configuration: BatchEngineConfiguration = BatchEngineConfiguration()) {
        self.model = model
        self.tokenizer = tokenizer
        self.endOfGenerationTokens = endOfGenerationTokens
        self.configuration = configuration
        let context = min(configuration.contextLength, model.config.contextLength)
        // Room for a whole prefill chunk next to every other sequence's decode row, so a chunk always fits a step.
        state = model.makeState(maxBatch: max(configuration.maxBatchRows, configuration.maxRunningSequences + configuration.prefillChunk),
                                maxPositions: context)
        prefixCache = PrefixCache(budgetPositions: configuration.prefixCachePositions)
        stats = BatchEngineStatistics(queued: 0, running: 0, kvPositionsReserved: 0,
                                      kvPositionsBudget: configuration.kvBudgetPositions, steps: 0)
        // The thread holds the engine until `stop()` ends its loop, so an engine is never freed under its own thread.
        let thread = Thread { self.loop() }
        thread.name = "mergeguard-batch-engine"
        thread.start()
    }

    /// Queues a request; its events arrive through its sink on the engine thread.
    public func submit(_ request: GenerationRequest) throws(BatchEngineError) {
        guard !request.prompt.isEmpty else { throw .emptyPrompt }
        guard request.prompt.count < contextLength else {
            throw .promptTooLong(promptTokens: request.prompt.count, contextLength: contextLength)
        }
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw .stopped }
        guard queue.count < configuration.queueCapacity else { throw .queueFull(capacity: configuration.queueCapacity) }
        queue.append((request, clock.now))
        stats.queued = queue.count
        condition.signal()
    }

    public var statistics: BatchEngineStatistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Fails every waiting and running request and ends the engine thread.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    // MARK: the engine thread

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && running.isEmpty && !stopping { condition.wait() }
            if stopping {
                let waiting = queue
                queue.removeAll()
                condition.unlock()
                for (request, _) in waiting { _ = request.sink(.failed(BatchEngineError.stopped)) }
                for s in running { _ = s.request.sink(.failed(BatchEngineError.stopped)) }
                running.removeAll()
                return
            }
            admitWaitingRequests()
            condition.unlock()
            step()
        }
    }

    /// KV positions a request may need: its prompt plus what it may generate, within the context and the budget.
    private func reservation(for request: GenerationRequest) -> Int {
        let wanted = request.prompt.count + (request.parameters.maxTokens ?? contextLength)
        return min(contextLength, wanted, configuration.kvBudgetPositions)
    }

    /// Called with the lock held: moves queued requests into the running set while slots and KV budget allow.
    private func admitWaitingRequests() {
        while let (request, submitted) = queue.first, running.count < configuration.maxRunningSequences {
            let need = reservation(for: request)
            guard stats.kvPositionsReserved + need <= configuration.kvBudgetPositions else { break }
            queue.removeFirst()
            do {
                let sequence = try ActiveSequence(request: request, cache: model.makeCache(capacity: need),
                                                  vocabularySize: model.config.vocabSize, tokenizer: tokenizer,
                                                  endOfGeneration: endOfGenerationTokens, submitted: submitted)
                sequence.prefilled = prefixCache.restore(prompt: request.prompt, into: sequence.cache)
                stats.reusedPromptTokens += sequence.prefilled
                running.append(sequence)
                stats.kvPositionsReserved += need
            } catch {
                _ = request.sink(.failed(error))
            }
        }
        stats.queued = queue.count
        stats.running = running.count
    }

    /// One forward pass over every running sequence, then sampling for those whose prompt is done.
    private func step() {
        // Decoding sequences first, one row each; prefilling ones share the rows left, a chunk at a time.
        var runs: [SequenceRun] = []
        var members: [ActiveSequence] = []
        var rowsLeft = state.maxBatch
        for s in running where !s.isPrefilling && rowsLeft > 0 {
            runs.append(SequenceRun(tokens: s.nextRun(prefillBudget: 0), cache: s.cache))
            members.append(s)
            rowsLeft -= 1
        }
        // A prompt row's numbers do not depend on its chunk (each row's attention runs over its own visible
        // positions in a fixed order, and the int8 products are row by row), so an answer does not depend on the load
        // or on a prefix restored from the cache.
        for s in running where s.isPrefilling {
            let chunk = s.nextRun(prefillBudget: configuration.prefillChunk)
            guard chunk.count <= rowsLeft else { continue }
            runs.append(SequenceRun(tokens: chunk, cache: s.cache, isPrompt: true))
            members.append(s)
            rowsLeft -= chunk.count
        }
        guard !runs.isEmpty else { return }
        let logits: UnsafeMutableBufferPointer<Float>
        do {
            logits = try model.forward(runs: runs, state: state)
        } catch {
            for s in members { _ = s.request.sink(.failed(error)); s.isDone = true }
            removeFinished(advanced: 0)
            return
        }
        var sampling: [Int] = []  // indices into members of the sequences that take a token now
        for (i, s) in members.enumerated() {
            if s.isPrefilling {
                s.prefilled += runs[i].tokens.count
                if s.isPrefilling { continue }
                prefixCache.remember(prompt: s.request.prompt, from: s.cache)
            }
            sampling.append(i)
        }
        // Each sequence's sampler owns its scratch and random state, so rows are sampled on every core at once: a
        // row's softmax over the vocabulary (49k expf) is ~0.3 ms, 8% of an 8-row step when run one after another.
        let vocab = model.config.vocabSize
        var tokens = [Result<SampledToken, SamplingError>?](repeating: nil, count: sampling.count)
        tokens.withUnsafeMutableBufferPointer { buffer in
            let tokens = buffer
            let sample = { (k: Int) in
                let i = sampling[k], s = members[i]
                let row = UnsafeBufferPointer(rebasing: logits[(i * vocab)..<((i + 1) * vocab)])
                tokens[k] = Result { () throws(SamplingError) in try s.sampler.sample(logits: row, history: s.history) }
            }
            if sampling.count > 1 { ThreadPool.shared.parallelFor(tasks: sampling.count, sample) } else if sampling.count == 1 { sample(0) }
        }
        for (k, i) in sampling.enumerated() { advance(members[i], sampled: tokens[k]!) }
        removeFinished(advanced: members.count)
    }

    /// Takes the sampled next token of `s`, streams its text, and decides whether the sequence ends here.
    private func advance(_ s: ActiveSequence, sampled: Result<SampledToken, SamplingError>) {
        let token: SampledToken
        switch sampled {
        case .success(let t): token = t
        case .failure(let error):
            _ = s.request.sink(.failed(error))
            s.isDone = true
            return
        }
        if s.firstToken == nil { s.firstToken = clock.now }
        s.history.append(token.id)
        s.generated += 1
        let (text, reason) = s.output.accept(token.id, generatedCount: s.generated)
        guard s.request.sink(.token(token, text: text)) else { s.isDone = true; return }
        if let reason {
            finish(s, reason: reason)
        } else if s.cache.count + 1 > s.cache.capacity {
            // The sequence's cache is full: the answer ends here, reported as `length` like llama.cpp's server.
            finish(s, reason: .length)
        } else {
            s.pending = token.id
        }
    }

    private func finish(_ s: ActiveSequence, reason: FinishReason) {
        let now = clock.now
        let first = s.firstToken ?? now
        _ = s.request.sink(.finished(GenerationSummary(
            finishReason: reason, promptTokenCount: s.request.prompt.count, completionTokenCount: s.generated,
            timeToFirstToken: (first - s.submitted).seconds, decodeSeconds: (now - first).seconds,
            seed: s.sampler.seed, trailingText: s.output.flush())))
        s.isDone = true
    }

    /// Ends the step: drops finished sequences (freeing their caches) and publishes the counts.
    private func removeFinished(advanced: Int) {
        let done = running.filter(\.isDone)
        running.removeAll(where: \.isDone)
        condition.lock()
        for s in done { stats.kvPositionsReserved -= s.cache.capacity }
        stats.running = running.count
        stats.steps += 1
        stats.sequenceSteps += advanced
        condition.unlock()
    }
}
