// The prefix cache: which rows a prompt gets back, the position budget, and on the real model (int8, as served)
// that answers with reused rows equal, bit for bit, answers computed from scratch.
import Foundation
import Testing
@testable import Inference

@Suite struct PrefixCacheTests {
    /// A cache of `positions` rows whose row p holds the value `marker + p` everywhere, so copies can be traced.
    static func filled(_ positions: Int, marker: Float) -> KVCache {
        let cache = KVCache(layerCount: 2, kvHeadCount: 2, headDim: 2, capacity: positions)
        for l in 0..<2 {
            for p in 0..<positions {
                let row = [Float](repeating: marker + Float(p), count: 4)
                let negated = row.map { -$0 }
                cache.store(layer: l, at: p, rows: 1, keys: row, values: negated)
            }
        }
        cache.count = positions
        return cache
    }

    @Test func restoresTheLongestSharedPrefixButNeverTheLastToken() {
        let store = PrefixCache(budgetPositions: 100)
        store.remember(prompt: [1, 2, 3, 4, 5, 6], from: Self.filled(6, marker: 100))
        store.remember(prompt: [1, 2, 9, 9], from: Self.filled(4, marker: 200))

        let cache = KVCache(layerCount: 2, kvHeadCount: 2, headDim: 2, capacity: 16)
        #expect(store.restore(prompt: [1, 2, 3, 4, 7, 8], into: cache) == 4)
        #expect(cache.count == 4)
        #expect(cache.row(layer: 1, position: 3)[2] == 103 && cache.row(layer: 0, position: 0, values: true)[0] == -100,
                "rows of the first entry")

        let whole = KVCache(layerCount: 2, kvHeadCount: 2, headDim: 2, capacity: 16)
        #expect(store.restore(prompt: [1, 2, 3, 4, 5, 6], into: whole) == 5, "the last prompt token still runs")

        let other = KVCache(layerCount: 2, kvHeadCount: 2, headDim: 2, capacity: 16)
        #expect(store.restore(prompt: [7, 1, 2], into: other) == 0)
        #expect(other.count == 0)
        #expect(store.restore(prompt: [1], into: other) == 0, "a one-token prompt has nothing to reuse")
    }

    @Test func extendedPromptsReplaceTheirPrefixAndTheBudgetEvictsTheLeastRecentlyUsed() {
        let store = PrefixCache(budgetPositions: 10)
        store.remember(prompt: [1, 2, 3], from: Self.filled(3, marker: 0))
        store.remember(prompt: [1, 2, 3, 4, 5], from: Self.filled(5, marker: 0))
        #expect(store.positionsHeld == 5, "the longer prompt replaced the one it extends")
        store.remember(prompt: [1, 2], from: Self.filled(2, marker: 0))
        #expect(store.positionsHeld == 5, "a prompt an entry already covers is not stored again")

        store.remember(prompt: [7, 7, 7, 7], from: Self.filled(4, marker: 0))
        #expect(store.positionsHeld == 9)
        // Touch [1 2 3 4 5] so [7 7 7 7] is the least recently used, then overflow the budget.
        _ = store.restore(prompt: [1, 2, 3, 4, 5, 6], into: KVCache(layerCount: 2, kvHeadCount: 2, headDim: 2, capacity: 8))
        store.remember(prompt: [8, 8, 8], from: Self.filled(3, marker: 0))
        #expect(store.positionsHeld == 8)
        #expect(store.restore(prompt: [7, 7, 7, 7, 1], into: KVCache(layerCount: 2, kvHeadCount: 2, headDim: 2, capacity: 8)) == 0)
        #expect(store.restore(prompt: [1, 2, 3, 9], into: KVCache(layerCount: 2, kvHeadCount: 2, headDim: 2, capacity: 8)) == 3)

        let off = PrefixCache(budgetPositions: 0)
        off.remember(prompt: [1, 2, 3], from: Self.filled(3, marker: 0))
        #expect(off.positionsHeld == 0)
    }
}

@Suite(.serialized) struct PrefixCacheEngineTests {
    /// Requests one after another (so each finds the previous prompts stored); returns texts, logprobs and the
    /// prompt tokens the engine reused.
    static func answers(prefixCachePositions: Int, prompts: [[Int32]]) throws -> ([String], [[Float]], Int) {
        let chat = try SmolLM2Int8.chat.get()
        var configuration = BatchEngineConfiguration()
        configuration.contextLength = 256
        configuration.prefixCachePositions = prefixCachePositions
        configuration.prefillChunk = Self.chunk
        let engine = BatchEngine(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens,
                                 configuration: configuration)
        defer { engine.stop() }
        var parameters = BatchEngineTests.greedy(6)
        parameters.logprobs = true
        var texts: [String] = [], logprobs: [[Float]] = []
        for prompt in prompts {
            let c = EventCollector()
            try engine.submit(GenerationRequest(prompt: prompt, parameters: parameters, sink: c.sink))
            let got = c.wait()
            #expect(got.error == nil)
            texts.append(got.text)
            logprobs.append(got.logprobs)
        }
        #expect(BatchEngineTests.waitUntilIdle(engine))
        return (texts, logprobs, engine.statistics.reusedPromptTokens)
    }

    /// Prompts cut into several chunks, which restored prefixes end in the middle of.
    static let chunk = 8

    @Test func reusedRowsGiveBitForBitTheAnswersOfAFreshPrefill() throws {
        let chat = try SmolLM2Int8.chat.get()
        let first = [ChatMessage(role: "user", content: "What is the capital of France?")]
        let prompts = try [
            chat.promptTokens(for: first),
            chat.promptTokens(for: [ChatMessage(role: "user", content: "Name three colours.")]),  // shares the template
            chat.promptTokens(for: first + [ChatMessage(role: "assistant", content: "Paris."),
                                            ChatMessage(role: "user", content: "And of Italy?")]),  // a second turn
            chat.promptTokens(for: first),  // again: all of it but its last token
        ]
        let (fresh, freshLogprobs, none) = try Self.answers(prefixCachePositions: 0, prompts: prompts)
        let (cached, cachedLogprobs, reused) = try Self.answers(prefixCachePositions: 2048, prompts: prompts)
        #expect(none == 0)
        // The second prompt reuses the template and system prompt, the third the first prompt, the fourth all of the
        // first prompt but its last token.
        let shared = zip(prompts[0], prompts[1]).prefix { $0 == $1 }.count
        #expect(reused >= shared + 2 * prompts[0].count - 4, "reused \(reused) prompt tokens")
        #expect(cached == fresh)
        var worst: Float = 0
        for (a, b) in zip(freshLogprobs, cachedLogprobs) {
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
        }
        #expect(worst == 0, "largest logprob difference \(worst)")
    }
}
