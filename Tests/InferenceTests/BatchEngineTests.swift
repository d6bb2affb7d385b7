// Continuous batching on the real model: batched answers equal one-at-a-time answers, cancellation frees the slot,
// and the queue and context limits are enforced.
import Foundation
import Synchronization
import Testing
@testable import Inference

/// Collects one request's events and lets the test wait for its end.
final class EventCollector: Sendable {
    struct State {
        var text = ""
        var tokens: [Int32] = []
        var logprobs: [Float] = []
        var summary: GenerationSummary?
        var error: String?
    }
    let state = Mutex(State())
    let done = DispatchSemaphore(value: 0)
    let stopAfter: Int?

    init(stopAfter: Int? = nil) { self.stopAfter = stopAfter }

    var sink: @Sendable (GenerationEvent) -> Bool {
        { [self] event in
            switch event {
            case .token(let t, let text):
                let count = state.withLock { s in s.tokens.append(t.id); s.logprobs.append(t.logprob ?? .nan); s.text += text; return s.tokens.count }
                if let stopAfter, count >= stopAfter { done.signal(); return false }
                return true
            case .finished(let summary):
                state.withLock { $0.summary = summary; $0.text += summary.trailingText }
            case .failed(let error):
                state.withLock { $0.error = "\(error)" }
            }
            done.signal()
            return true
        }
    }

    func wait() -> State {
        _ = done.wait(timeout: .now() + 120)
        return state.withLock { $0 }
    }
}

@Suite(.serialized) struct BatchEngineTests {
    static let prompts = ["What is the capital of France?", "Name three colours.", "Say hello in Spanish.", "What is 2 + 2?"]

    static func greedy(_ maxTokens: Int) -> SamplingParameters {
        var p = SamplingParameters()
        p.temperature = 0
        p.maxTokens = maxTokens
        return p
    }

    @Test func batchedAnswersEqualAnswersOneAtATime() throws {
        let chat = try ChatEndToEndTests.chat.get()
        let generator = TextGenerator(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens)
        var configuration = BatchEngineConfiguration()
        configuration.contextLength = 256
        configuration.prefillChunk = 8   // forces prompts to be prefilled in pieces interleaved with decoding
        let engine = BatchEngine(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens,
                                 configuration: configuration)
        defer { engine.stop() }
        var prompts: [[Int32]] = []
        var expected: [String] = []
        for text in Self.prompts {
            let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: text)])
            prompts.append(prompt)
            expected.append(try generator.generate(prompt: prompt, in: SequenceState(model: chat.model, contextLength: 256),
                                                   parameters: Self.greedy(20)).text)
        }
        // The engine thread waits in the first request's first event until every request is queued, so the
        // sequences share steps however slowly this thread is scheduled (a loaded CI host once let each request
        // finish before the next arrived).
        let allQueued = DispatchSemaphore(value: 0)
        var collectors: [EventCollector] = []
        do {
            defer { allQueued.signal() }   // also when a submit throws, so the engine thread is never left waiting
            for (index, prompt) in prompts.enumerated() {
                let c = EventCollector()
                let sink = index == 0 ? Self.held(c.sink, until: allQueued) : c.sink
                try engine.submit(GenerationRequest(prompt: prompt, parameters: Self.greedy(20), sink: sink))
                collectors.append(c)
            }
        }
        for (c, want) in zip(collectors, expected) {
            let got = c.wait()
            #expect(got.error == nil)
            #expect(got.text == want)
            #expect(got.summary != nil)
        }
        // The last finish event goes out before its step ends and the counts are published.
        #expect(Self.waitUntilIdle(engine))
        // The sequences shared steps: more sequence-steps than steps, never more than all of them in every step.
        let s = engine.statistics
        #expect(s.sequenceSteps > s.steps && s.sequenceSteps <= Self.prompts.count * s.steps,
                "\(s.sequenceSteps) sequence-steps over \(s.steps) steps")
    }

    /// A sink whose first event waits until `gate` is signalled (and then leaves it open), holding the engine
    /// thread in that step so the test can queue more requests behind it.
    static func held(_ sink: @escaping @Sendable (GenerationEvent) -> Bool,
                     until gate: DispatchSemaphore) -> @Sendable (GenerationEvent) -> Bool {
        { event in
            gate.wait()
            gate.signal()
            return sink(event)
        }
    }

    static func waitUntilIdle(_ engine: BatchEngine) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let s = engine.statistics
            if s.running == 0 && s.queued == 0 && s.kvPositionsReserved == 0 { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func clientThatGoesAwayIsDroppedAndItsCacheFreed() throws {
        let chat = try ChatEndToEndTests.chat.get()
        let engine = BatchEngine(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens)
        defer { engine.stop() }
        let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: "Write a long story about a dragon.")])
        let c = EventCollector(stopAfter: 3)
        try engine.submit(GenerationRequest(prompt: prompt, parameters: Self.greedy(200), sink: c.sink))
        let got = c.wait()
        #expect(got.tokens.count == 3)
        // Dropped at the end of the step it is in, its cache freed.
        #expect(Self.waitUntilIdle(engine))
        #expect(c.state.withLock { $0.tokens.count } == 3, "no token after the sink said stop")
    }

    @Test func fullQueueAndOverlongPromptsAreRefused() throws {
        let chat = try ChatEndToEndTests.chat.get()
        var configuration = BatchEngineConfiguration()
        configuration.queueCapacity = 1
        configuration.maxRunningSequences = 1
        configuration.contextLength = 64
        let engine = BatchEngine(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens,
                                 configuration: configuration)
        defer { engine.stop() }
        #expect(throws: BatchEngineError.promptTooLong(promptTokens: 64, contextLength: 64)) {
            try engine.submit(GenerationRequest(prompt: Array(repeating: 1, count: 64), parameters: Self.greedy(1), sink: { _ in true }))
        }
        #expect(throws: BatchEngineError.emptyPrompt) {
            try engine.submit(GenerationRequest(prompt: [], parameters: Self.greedy(1), sink: { _ in true }))
        }
        // Fill the running slot and the one queue place, then the next is refused.
        let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: "Hi")])
        var refused = false
        // The first request holds the engine in its first event until all are submitted, so it cannot finish early.
        let submitted = DispatchSemaphore(value: 0)
        defer { submitted.signal() }   // releases the engine thread however this test ends
        let collectors = (0..<4).map { _ in EventCollector() }
        for (index, c) in collectors.enumerated() {
            let sink = index == 0 ? Self.held(c.sink, until: submitted) : c.sink
            do { try engine.submit(GenerationRequest(prompt: prompt, parameters: Self.greedy(20), sink: sink)) }
            catch BatchEngineError.queueFull(let capacity) { refused = true; #expect(capacity == 1) }
        }
        #expect(refused)
    }
}
