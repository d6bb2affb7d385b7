// The body of POST /v1/chat/completions (and /v1/completions), checked field by field.
import Foundation
import Inference

public struct ChatCompletionRequest: Sendable {
    public var model: String
    /// Chat messages; nil for a plain completion, which has `prompt` instead.
    public var messages: [ChatMessage]?
    public var prompt: String?
    public var sampling: SamplingParameters
    public var n: Int
    public var stream: Bool
    public var includeUsage: Bool
    public var user: String?

    /// Most a single request may ask for; beyond this a client error is likelier than a real need.
    public static let maxChoices = 8

    /// Parses a chat request (`messages`) or, with `completion` set, a text completion request (`prompt`).
    /// Fields a request leaves out take OpenAI's defaults (temperature 1, top_p 1) rather than llama.cpp's,
    /// because the clients we serve are written against OpenAI.
    public static func parse(_ body: Data, completion: Bool = false) throws(OpenAIError) -> ChatCompletionRequest {
        do {
            return try read(JSONFields.parse(body), completion: completion)
        } catch let error as OpenAIError {
            throw error
        } catch let error as JSONFieldError {
            throw error.field.isEmpty ? .invalidJSON(error.message) : .invalidRequest(error.message, param: error.field)
        } catch {
            throw .invalidRequest("\(error)")
        }
    }

    private static func read(_ f: JSONFields, completion: Bool) throws -> ChatCompletionRequest {
        let model = try f.requiredString("model")
        var messages: [ChatMessage]?
        var prompt: String?
        if completion {
            prompt = try f.requiredString("prompt")
        } else {
            messages = try parseMessages(f)
        }
        var p = SamplingParameters.openAIDefaults
        if let v = try f.number("temperature") { p.temperature = Float(v) }
        if let v = try f.number("top_p") { p.topP = Float(v) }
        if let v = try f.integer("top_k") { p.topK = v }
        if let v = try f.number("min_p") { p.minP = Float(v) }
        if let v = try f.number("repetition_penalty") { p.repetitionPenalty = Float(v) }
        if let v = try f.integer("repeat_last_n") { p.penaltyLastN = v }
        if let v = try f.number("presence_penalty") { p.presencePenalty = Float(v) }
        if let v = try f.number("frequency_penalty") { p.frequencyPenalty = Float(v) }
        if let v = try f.integer("seed") {
            guard v >= 0 else { throw OpenAIError.invalidRequest("`seed` must be a non-negative integer", param: "seed") }
            p.seed = UInt64(v)
        }
        // max_completion_tokens is the newer name; when both are sent it wins, as in OpenAI's API.
        if let v = try f.integer("max_completion_tokens") ?? f.integer("max_tokens") { p.maxTokens = v }
        if let v = try f.stringOrStrings("stop") { p.stop = v }
        if completion {
            // Completions take `logprobs: N` (an integer count of alternatives).
            if let v = try f.integer("logprobs") { p.logprobs = true; p.topLogprobs = v }
        } else {
            if let v = try f.bool("logprobs") { p.logprobs = v }
            if let v = try f.integer("top_logprobs") { p.topLogprobs = v }
        }
        do {
            try p.validate()
        } catch {
            let param = error.field.map { field -> String in
                // Report the name the client used for max tokens.
                if field == .maxTokens && f.isPresent("max_completion_tokens") { return "max_completion_tokens" }
                return field.rawValue
            }
            throw OpenAIError.invalidRequest(error.description, param: param)
        }
        let n = try f.integer("n") ?? 1
        guard (1...maxChoices).contains(n) else {
            throw OpenAIError.invalidRequest("`n` is \(n); it must be between 1 and \(maxChoices)", param: "n")
        }
        let stream = try f.bool("stream") ?? false
        let includeUsage = try f.object("stream_options")?.bool("include_usage") ?? false
        return ChatCompletionRequest(model: model, messages: messages, prompt: prompt, sampling: p, n: n,
                                     stream: stream, includeUsage: includeUsage, user: try f.string("user"))
    }

    private static let roles: Set<String> = ["system", "developer", "user", "assistant"]

    /// `messages`: roles system/developer/user/assistant; content a string or an array of text parts.
    private static func parseMessages(_ f: JSONFields) throws(JSONFieldError) -> [ChatMessage] {
        guard let list = try f.array("messages") else { throw f.invalid("messages", "`messages` is required") }
        guard !list.isEmpty else { throw f.invalid("messages", "`messages` must hold at least one message") }
        var messages: [ChatMessage] = []
        for (i, item) in list.enumerated() {
            let path = "messages[\(i)]"
            guard let object = item as? [String: Any] else { throw f.invalid("messages[\(i)]", "`\(path)` must be an object") }
            let m = JSONFields(object, path: path)
            let role = try m.requiredString("role")
            guard roles.contains(role) else {
                throw m.invalid("role", "`\(path).role` is \"\(role)\"; expected one of system, developer, user, assistant")
            }
            // OpenAI's newer "developer" role is the system prompt for templates that predate it.
            messages.append(ChatMessage(role: role == "developer" ? "system" : role, content: try content(m)))
        }
        return messages
    }

    private static func content(_ m: JSONFields) throws(JSONFieldError) -> String {
        if !m.isPresent("content") { return "" }
        if let s = m.object["content"] as? String { return s }
        guard let parts = m.object["content"] as? [Any] else { throw m.wrongType("content", "a string or an array of content parts") }
        var text = ""
        for (j, part) in parts.enumerated() {
            guard let object = part as? [String: Any] else { throw m.wrongType("content[\(j)]", "an object") }
            let p = JSONFields(object, path: m.name("content[\(j)]"))
            let type = try p.requiredString("type")
            guard type == "text" else {
                throw p.invalid("type", "`\(p.name("type"))` is \"\(type)\"; only text content is supported")
            }
            text += try p.requiredString("text")
        }
        return text
    }
}
