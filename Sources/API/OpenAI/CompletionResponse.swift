// Response bodies of the chat and text completion endpoints, in OpenAI's exact shapes (nulls included, since
// clients read `finish_reason: null` and `logprobs: null` as meaningful).
import Foundation
import Inference

/// One token's log-probability as OpenAI reports it: the token's text, its UTF-8 bytes, and the alternatives.
public struct LogprobEntry: Sendable {
    public var token: String
    public var bytes: [UInt8]
    public var logprob: Float
    public var top: [(token: String, bytes: [UInt8], logprob: Float)]

    var json: [String: Any] {
        ["token": token, "bytes": bytes.map(Int.init), "logprob": Double(logprob),
         "top_logprobs": top.map { ["token": $0.token, "bytes": $0.bytes.map(Int.init), "logprob": Double($0.logprob)] as [String: Any] }]
    }
}

public struct CompletionChoice: Sendable {
    public var index: Int
    public var text: String
    public var finishReason: FinishReason
    /// nil when the request did not ask for logprobs.
    public var logprobs: [LogprobEntry]?
}

public struct CompletionUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    var json: [String: Any] {
        ["prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens]
    }
}

/// The identity every object of one response shares.
public struct CompletionIdentity: Sendable {
    public var id: String
    public var created: Int
    public var model: String
    public var systemFingerprint: String

    public init(model: String, systemFingerprint: String, chat: Bool) {
        id = (chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        created = Int(Date().timeIntervalSince1970)
        self.model = model
        self.systemFingerprint = systemFingerprint
    }

    func header(object: String) -> [String: Any] {
        ["id": id, "object": object, "created": created, "model": model, "system_fingerprint": systemFingerprint]
    }
}

public enum CompletionResponse {
    /// A whole `chat.completion` object.
    public static func chat(_ identity: CompletionIdentity, choices: [CompletionChoice], usage: CompletionUsage) -> Data {
        var body = identity.header(object: "chat.completion")
        body["choices"] = choices.map { c -> [String: Any] in
            ["index": c.index,
             "message": ["role": "assistant", "content": c.text, "refusal": NSNull()] as [String: Any],
             "logprobs": c.logprobs.map { ["content": $0.map(\.json), "refusal": NSNull()] as [String: Any] } ?? NSNull(),
             "finish_reason": c.finishReason.rawValue]
        }
        body["usage"] = usage.json
        return encode(body)
    }

    /// A whole `text_completion` object (legacy completions endpoint).
    public static func text(_ identity: CompletionIdentity, choices: [CompletionChoice], usage: CompletionUsage) -> Data {
        var body = identity.header(object: "text_completion")
        body["choices"] = choices.map { c -> [String: Any] in
            ["index": c.index, "text": c.text, "finish_reason": c.finishReason.rawValue,
             "logprobs": c.logprobs.map(legacyLogprobs) ?? NSNull()]
        }
        body["usage"] = usage.json
        return encode(body)
    }

    /// One `chat.completion.chunk`: the first of a choice carries the role, the last its finish reason.
    public static func chatChunk(_ identity: CompletionIdentity, index: Int, role: Bool = false, content: String?,
                                 logprobs: [LogprobEntry]? = nil, finishReason: FinishReason? = nil) -> Data {
        var delta: [String: Any] = [:]
        if role { delta["role"] = "assistant" }
        if let content { delta["content"] = content }
        var body = identity.header(object: "chat.completion.chunk")
        body["choices"] = [["index": index, "delta": delta,
                            "logprobs": logprobs.map { ["content": $0.map(\.json), "refusal": NSNull()] as [String: Any] } ?? NSNull(),
                            "finish_reason": finishReason?.rawValue ?? NSNull()] as [String: Any]]
        return encode(body)
    }

    /// One streamed `text_completion` piece.
    public static func textChunk(_ identity: CompletionIdentity, index: Int, text: String,
                                 logprobs: [LogprobEntry]? = nil, finishReason: FinishReason? = nil) -> Data {
        var body = identity.header(object: "text_completion")
        body["choices"] = [["index": index, "text": text, "logprobs": logprobs.map(legacyLogprobs) ?? NSNull(),
                            "finish_reason": finishReason?.rawValue ?? NSNull()] as [String: Any]]
        return encode(body)
    }

    /// The final usage-only chunk of a stream that asked for `stream_options.include_usage`.
    public static func usageChunk(_ identity: CompletionIdentity, chat: Bool, usage: CompletionUsage) -> Data {
        var body = identity.header(object: chat ? "chat.completion.chunk" : "text_completion")
        body["choices"] = [Any]()
        body["usage"] = usage.json
        return encode(body)
    }

    /// The legacy completions endpoint's logprobs layout: parallel arrays.
    static func legacyLogprobs(_ entries: [LogprobEntry]) -> [String: Any] {
        var offset = 0
        var offsets: [Int] = []
        for e in entries { offsets.append(offset); offset += e.token.utf8.count }
        return ["tokens": entries.map(\.token), "token_logprobs": entries.map { Double($0.logprob) },
                "top_logprobs": entries.map { e in Dictionary(e.top.map { ($0.token, Double($0.logprob)) }, uniquingKeysWith: max) },
                "text_offset": offsets]
    }

    static func encode(_ object: [String: Any]) -> Data {
        // Only strings, numbers, arrays, dictionaries and NSNull go in, so serialization cannot fail.
        (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
