// Errors in OpenAI's shape {"error": {"message", "type", "param", "code"}} with the HTTP status clients expect.
import Foundation

public struct OpenAIError: Error, CustomStringConvertible, Equatable {
    public var status: HTTPStatus
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Extra response headers (Retry-After on 429).
    public var headers: [String: String] = [:]

    public var description: String { message }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: .init(400), message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func invalidJSON(_ reason: String) -> OpenAIError {
        OpenAIError(status: .init(400), message: "the request body is not valid JSON: \(reason)", type: "invalid_request_error",
                    param: nil, code: "invalid_json")
    }

    public static func unauthorized() -> OpenAIError {
        OpenAIError(status: .init(401), message: "invalid or missing API key: send `Authorization: Bearer <key>` with a key from models.json or MERGEGUARD_API_KEYS",
                    type: "authentication_error", param: nil, code: "invalid_api_key")
    }

    public static func modelNotFound(_ id: String, available: [String]) -> OpenAIError {
        OpenAIError(status: .init(404), message: "the model `\(id)` does not exist; available: \(available.joined(separator: ", "))",
                    type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    public static func contextLengthExceeded(promptTokens: Int, contextLength: Int) -> OpenAIError {
        OpenAIError(status: .init(400), message: "this model's maximum context length is \(contextLength) tokens, but the prompt has \(promptTokens) tokens (one more is needed for the answer); shorten the messages",
                    type: "invalid_request_error", param: "messages", code: "context_length_exceeded")
    }

    public static func busy(_ message: String, retryAfterSeconds: Int = 1) -> OpenAIError {
        OpenAIError(status: .init(429), message: message, type: "rate_limit_error", param: nil, code: "queue_full",
                    headers: ["Retry-After": String(retryAfterSeconds)])
    }

    public static func modelUnavailable(_ id: String, reason: String) -> OpenAIError {
        OpenAIError(status: .init(503), message: "the model `\(id)` could not be loaded: \(reason)", type: "server_error",
                    param: "model", code: "model_load_failed")
    }

    public var body: Data {
        var error: [String: Any] = ["message": message, "type": type]
        error["param"] = param ?? NSNull()
        error["code"] = code ?? NSNull()
        return (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
