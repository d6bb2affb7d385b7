// The whole chat path on the real model: template -> tokenizer -> forward pass -> greedy sampling -> decoded text.
import Foundation
import Testing
@testable import Inference

@Suite(.serialized) struct ChatEndToEndTests {
    static let chat: Result<ChatModel, Error> = Result { try ChatModel.load(path: Fixtures.smolLM2GGUF) }

    var greedy: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = 0
        p.maxTokens = 32
        return p
    }

    @Test func capitalOfFranceThroughTheChatTemplate() throws {
        let chat = try Self.chat.get()
        let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: "What is the capital of France?")])
        // The template's own default system prompt and ChatML markup, tokenized like transformers does (golden ids).
        let golden = try ForwardGoldens.load().cases[0]
        #expect(prompt == golden.prompt_ids)
        let sequence = SequenceState(model: chat.model, contextLength: 256)
        let generator = TextGenerator(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens)
        var streamed = ""
        let result = try generator.generate(prompt: prompt, in: sequence, parameters: greedy) { streamed += $0; return true }
        #expect(result.text == "The capital of France is Paris.")
        #expect(streamed == result.text)
        #expect(result.finishReason == .stop)
    }

    @Test func followUpTurnReusesTheCachedPrefix() throws {
        let chat = try Self.chat.get()
        let generator = TextGenerator(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens)
        let sequence = SequenceState(model: chat.model, contextLength: 512)
        var messages = [ChatMessage(role: "user", content: "What is the capital of France?")]
        let first = try generator.generate(prompt: try chat.promptTokens(for: messages), in: sequence, parameters: greedy)
        messages.append(ChatMessage(role: "assistant", content: first.text))
        messages.append(ChatMessage(role: "user", content: "And of Italy?"))
        let secondPrompt = try chat.promptTokens(for: messages)
        let second = try generator.generate(prompt: secondPrompt, in: sequence, parameters: greedy)
        #expect(second.cachedPromptTokenCount > 30, "the first turn's prompt should not be run again")
        // Same answer as a fresh sequence given the whole conversation.
        let fresh = try generator.generate(prompt: secondPrompt, in: SequenceState(model: chat.model, contextLength: 512), parameters: greedy)
        #expect(second.text == fresh.text)
    }

    @Test func stopStringsAndMaxTokensEndTheAnswer() throws {
        let chat = try Self.chat.get()
        let generator = TextGenerator(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens)
        let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: "What is the capital of France?")])
        var p = greedy
        p.stop = ["France is"]
        let stopped = try generator.generate(prompt: prompt, in: SequenceState(model: chat.model, contextLength: 256), parameters: p)
        #expect(stopped.text == "The capital of ")
        #expect(stopped.finishReason == .stop)
        p.stop = []
        p.maxTokens = 3
        let short = try generator.generate(prompt: prompt, in: SequenceState(model: chat.model, contextLength: 256), parameters: p)
        #expect(short.completionTokenCount == 3 && short.finishReason == .length)
        #expect(short.text == "The capital of")
    }

    @Test func promptLongerThanTheContextIsRefused() throws {
        let chat = try Self.chat.get()
        let generator = TextGenerator(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens)
        let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: String(repeating: "word ", count: 100))])
        #expect(throws: GenerationError.promptTooLong(promptTokens: prompt.count, contextLength: 64)) {
            try generator.generate(prompt: prompt, in: SequenceState(model: chat.model, contextLength: 64), parameters: greedy)
        }
    }

    @Test func sameSeedSameText() throws {
        let chat = try Self.chat.get()
        let generator = TextGenerator(model: chat.model, tokenizer: chat.tokenizer, endOfGenerationTokens: chat.endOfGenerationTokens)
        let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: "Write a short poem about rain.")])
        var p = SamplingParameters()
        p.temperature = 1
        p.seed = 1234
        p.maxTokens = 24
        let a = try generator.generate(prompt: prompt, in: SequenceState(model: chat.model, contextLength: 256), parameters: p)
        let b = try generator.generate(prompt: prompt, in: SequenceState(model: chat.model, contextLength: 256), parameters: p)
        p.seed = 99
        let c = try generator.generate(prompt: prompt, in: SequenceState(model: chat.model, contextLength: 256), parameters: p)
        #expect(a.text == b.text && a.tokens.map(\.id) == b.tokens.map(\.id))
        #expect(a.tokens.map(\.id) != c.tokens.map(\.id))
    }
}
