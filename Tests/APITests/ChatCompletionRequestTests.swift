// Request bodies: OpenAI's fields and defaults, and 400s whose `param` names the offending field.
import Foundation
import Testing
@testable import API
@testable import Inference

struct ChatCompletionRequestTests {
    static func parse(_ json: String, completion: Bool = false) throws(OpenAIError) -> ChatCompletionRequest {
        try ChatCompletionRequest.parse(Data(json.utf8), completion: completion)
    }

    @Test func readsEveryField() throws {
        let r = try Self.parse("""
        {"model": "m", "messages": [{"role": "system", "content": "be brief"},
                                     {"role": "user", "content": [{"type": "text", "text": "hi "}, {"type": "text", "text": "there"}]}],
         "max_tokens": 5, "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9, "stop": "END", "seed": 42,
         "presence_penalty": 0.1, "frequency_penalty": 0.2, "logprobs": true, "top_logprobs": 3, "n": 2,
         "stream": true, "stream_options": {"include_usage": true}, "user": "u", "top_k": 10, "min_p": 0.1,
         "repetition_penalty": 1.1}
        """)
        #expect(r.model == "m")
        #expect(r.messages == [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "hi there")])
        #expect(r.sampling.maxTokens == 7)
        #expect(r.sampling.temperature == 0.5 && r.sampling.topP == 0.9 && r.sampling.topK == 10 && r.sampling.minP == 0.1)
        #expect(r.sampling.stop == ["END"] && r.sampling.seed == 42)
        #expect(r.sampling.presencePenalty == 0.1 && r.sampling.frequencyPenalty == 0.2 && r.sampling.repetitionPenalty == 1.1)
        #expect(r.sampling.logprobs && r.sampling.topLogprobs == 3)
        #expect(r.n == 2 && r.stream && r.includeUsage && r.user == "u")
    }

    @Test func omittedFieldsTakeOpenAIDefaults() throws {
        let r = try Self.parse(#"{"model": "m", "messages": [{"role": "user", "content": "x"}]}"#)
        #expect(r.sampling == SamplingParameters.openAIDefaults)
        #expect(r.n == 1 && !r.stream && !r.includeUsage)
    }

    @Test(arguments: [
        (#"{"messages": [{"role": "user", "content": "x"}]}"#, "model"),
        (#"{"model": "m"}"#, "messages"),
        (#"{"model": "m", "messages": []}"#, "messages"),
        (#"{"model": "m", "messages": [{"role": "robot", "content": "x"}]}"#, "messages[0].role"),
        (#"{"model": "m", "messages": [{"role": "user", "content": 3}]}"#, "messages[0].content"),
        (#"{"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#, "messages[0].content[0].type"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": -1}"#, "temperature"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}"#, "temperature"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "top_p": 1.5}"#, "top_p"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}"#, "max_tokens"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 0}"#, "max_completion_tokens"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 0}"#, "n"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": [1]}"#, "stop"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": 1}"#, "stream"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": "y"}}"#, "stream_options.include_usage"),
        (#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "seed": -3}"#, "seed"),
    ])
    func invalidFieldsAreNamed(json: String, param: String) {
        do {
            _ = try Self.parse(json)
            Issue.record("expected a 400 naming \(param)")
        } catch {
            #expect(error.status.code == 400)
            #expect(error.param == param, "\(error.message)")
            #expect(error.type == "invalid_request_error")
        }
    }

    @Test func invalidJSONIsA400WithoutParam() {
        for body in ["{", "[1, 2]", "nonsense", ""] {
            do {
                _ = try Self.parse(body)
                Issue.record("expected invalid JSON for \(body)")
            } catch {
                #expect(error.status.code == 400 && error.param == nil && error.code == "invalid_json")
            }
        }
    }

    @Test func completionRequestTakesAPromptAndIntegerLogprobs() throws {
        let r = try Self.parse(#"{"model": "m", "prompt": "Once", "logprobs": 2}"#, completion: true)
        #expect(r.prompt == "Once" && r.messages == nil && r.sampling.logprobs && r.sampling.topLogprobs == 2)
    }

    @Test func errorBodyHasOpenAIsShape() throws {
        let body = OpenAIError.invalidRequest("bad", param: "temperature").body
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["message"] as? String == "bad")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["param"] as? String == "temperature")
        #expect(error["code"] is NSNull)
    }
}
