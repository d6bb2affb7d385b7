// POST /v1/chat/completions and /v1/completions: validate, find (and load) the model, tokenize the prompt, submit
// `n` sequences to the model's batch engine, and answer with one JSON object or an SSE stream.
import Foundation
import Inference
import Synchronization

struct CompletionService: Sendable {
    let manager: ModelManager
    let metrics: ServerMetrics
    let systemFingerprint: String

    func handle(_ http: HTTPRequest, chat: Bool) async throws -> HTTPResponse {
        let request = try ChatCompletionRequest.parse(http.body, completion: !chat)
        let model: ServedModel
        do {
            model = try await manager.model(request.model)
        } catch .unknownModel {
            throw OpenAIError.modelNotFound(request.model, available: manager.registry.modelOrder)
        } catch .loadFailed(_, let reason) {
            throw OpenAIError.modelUnavailable(request.model, reason: reason)
        }
        let prompt: [Int32]
        if let messages = request.messages {
            do {
                prompt = try model.chat.promptTokens(for: messages)
            } catch {
                // The template itself refused the conversation (e.g. roles out of order): the client's to fix.
                throw OpenAIError.invalidRequest("the model's chat template rejected the messages: \(error)", param: "messages")
            }
        } else {
            prompt = model.chat.tokenizer.encode(request.prompt ?? "")
        }
        guard !prompt.isEmpty else { throw OpenAIError.invalidRequest("the prompt is empty", param: chat ? "messages" : "prompt") }
        let context = model.engine.contextLength
        guard prompt.count < context else {
            throw OpenAIError.contextLengthExceeded(promptTokens: prompt.count, contextLength: context)
        }
        let identity = CompletionIdentity(model: request.model, systemFingerprint: systemFingerprint, chat: chat)
        let run = CompletionRun(request: request, prompt: prompt, model: model, metrics: metrics)
        if request.stream {
            let events = try run.start()
            return .eventStream { stream in
                await run.stream(events, identity: identity, chat: chat, to: stream)
            }
        }
        let events = try run.start()
        let outcomes = await run.collect(events)
        if let failure = outcomes.compactMap(\.error).first { throw failure }
        let choices = outcomes.enumerated().map { i, o in
            CompletionChoice(index: i, text: o.text, finishReason: o.finishReason, logprobs: o.logprobs)
        }
        let usage = CompletionUsage(promptTokens: prompt.count, completionTokens: outcomes.reduce(0) { $0 + $1.completionTokens })
        let body = chat ? CompletionResponse.chat(identity, choices: choices, usage: usage)
                        : CompletionResponse.text(identity, choices: choices, usage: usage)
        return .json(data: body)
    }
}

/// The `n` sequences of one request: submitted together, their events merged into one async stream.
final class CompletionRun: Sendable {
    enum Event: Sendable {
        case token(choice: Int, SampledToken, text: String)
        case finished(choice: Int, GenerationSummary)
        case failed(choice: Int, any Error)
    }

    let request: ChatCompletionRequest
    let prompt: [Int32]
    let model: ServedModel
    let metrics: ServerMetrics
    /// Set when the client has gone: every sink returns false at its next token and the engine drops the sequence.
    let cancelled = Atomic<Bool>(false)

    init(request: ChatCompletionRequest, prompt: [Int32], model: ServedModel, metrics: ServerMetrics) {
        self.request = request
        self.prompt = prompt
        self.model = model
        self.metrics = metrics
    }

    /// Submits every choice; a refusal (queue full, engine stopping) becomes the matching HTTP error.
    func start() throws -> AsyncStream<Event> {
        let (events, continuation) = AsyncStream<Event>.makeStream()
        let remaining = Atomic<Int>(request.n)
        for choice in 0..<request.n {
            var parameters = request.sampling
            // Choices of one seeded request must differ from each other yet stay reproducible.
            if let seed = parameters.seed { parameters.seed = seed &+ UInt64(choice) }
            let sink: @Sendable (GenerationEvent) -> Bool = { [self] event in
                switch event {
                case .token(let token, let text):
                    continuation.yield(.token(choice: choice, token, text: text))
                    if cancelled.load(ordering: .relaxed) { metrics.recordCancellation(); return false }
                    return true
                case .finished(let summary):
                    metrics.recordGeneration(promptTokens: choice == 0 ? summary.promptTokenCount : 0,
                                             generatedTokens: summary.completionTokenCount,
                                             timeToFirstToken: summary.timeToFirstToken, decodeSeconds: summary.decodeSeconds)
                    continuation.yield(.finished(choice: choice, summary))
                case .failed(let error):
                    continuation.yield(.failed(choice: choice, error))
                }
                if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { continuation.finish() }
                return true
            }
            do {
                try model.engine.submit(GenerationRequest(prompt: prompt, parameters: parameters, sink: sink))
            } catch {
                cancelled.store(true, ordering: .relaxed)
                switch error {
                case .queueFull: throw OpenAIError.busy(error.description)
                case .promptTooLong(let n, let c): throw OpenAIError.contextLengthExceeded(promptTokens: n, contextLength: c)
                case .emptyPrompt: throw OpenAIError.invalidRequest(error.description, param: "messages")
                case .stopped: throw OpenAIError.modelUnavailable(request.model, reason: error.description)
                }
            }
        }
        return events
    }

    /// Gathers every choice's text, logprobs and finish reason (non-streaming answers).
    func collect(_ events: AsyncStream<Event>) async -> [ChoiceOutcome] {
        var outcomes = Array(repeating: ChoiceOutcome(), count: request.n)
        let formatter = LogprobFormatter(tokenizer: model.chat.tokenizer)
        if request.sampling.logprobs { for i in outcomes.indices { outcomes[i].logprobs = [] } }
        await withTaskCancellationHandler {
            for await event in events {
                switch event {
                case .token(let i, let token, let text):
                    outcomes[i].text += text
                    if let entry = formatter.entry(for: token) { outcomes[i].logprobs?.append(entry) }
                case .finished(let i, let summary):
                    outcomes[i].text += summary.trailingText
                    outcomes[i].finishReason = summary.finishReason
                    outcomes[i].completionTokens = summary.completionTokenCount
                case .failed(let i, let error):
                    outcomes[i].error = error
                }
            }
        } onCancel: {
            cancelled.store(true, ordering: .relaxed)
        }
        return outcomes
    }

    /// Streams chunks as Server-Sent Events: a role chunk per choice, content chunks, a finish chunk per choice,
    /// the usage chunk when asked, then `[DONE]`. Stops the sequences as soon as the client is gone.
    func stream(_ events: AsyncStream<Event>, identity: CompletionIdentity, chat: Bool, to stream: ResponseStream) async {
        let formatter = LogprobFormatter(tokenizer: model.chat.tokenizer)
        // The HTTP layer sees a hang-up while waiting for data; flag the sequences at once rather than at the next write.
        stream.onCancel { [self] in cancelled.store(true, ordering: .relaxed) }
        func send(_ json: Data) -> Bool {
            var frame = Data("data: ".utf8)
            frame.append(json)
            frame.append(contentsOf: "\n\n".utf8)
            if stream.send(frame) { return true }
            cancelled.store(true, ordering: .relaxed)
            return false
        }
        func content(_ i: Int, _ text: String, _ logprobs: [LogprobEntry]?, _ finish: FinishReason? = nil) -> Data {
            chat ? CompletionResponse.chatChunk(identity, index: i, content: finish == nil ? text : nil, logprobs: logprobs, finishReason: finish)
                 : CompletionResponse.textChunk(identity, index: i, text: text, logprobs: logprobs, finishReason: finish)
        }
        if chat {
            for i in 0..<request.n where !send(CompletionResponse.chatChunk(identity, index: i, role: true, content: "")) { return }
        }
        var completionTokens = 0
        var alive = true
        for await event in events where alive {
            switch event {
            case .token(let i, let token, let text):
                let entry = request.sampling.logprobs ? formatter.entry(for: token).map { [$0] } : nil
                // Tokens with no visible text yet (half a character, a held-back stop prefix) still carry logprobs.
                if !text.isEmpty || entry != nil { alive = send(content(i, text, entry)) }
            case .finished(let i, let summary):
                completionTokens += summary.completionTokenCount
                if !summary.trailingText.isEmpty { alive = send(content(i, summary.trailingText, nil)) }
                if alive { alive = send(content(i, "", nil, summary.finishReason)) }
            case .failed(_, let error):
                let failure = (error as? OpenAIError) ?? OpenAIError(status: .init(500), message: "\(error)", type: "server_error", param: nil, code: nil)
                alive = send(failure.body)
            }
        }
        guard alive else { return }
        if request.includeUsage {
            let usage = CompletionUsage(promptTokens: prompt.count, completionTokens: completionTokens)
            guard send(CompletionResponse.usageChunk(identity, chat: chat, usage: usage)) else { return }
        }
        _ = stream.send(Data("data: [DONE]\n\n".utf8))
        stream.finish()
    }
}
