// The general-purpose HTTPResponseError; the server uses it for its own 4xx/5xx answers.
import Foundation

public struct HTTPError: HTTPResponseError, CustomStringConvertible, Equatable {
    public var status: HTTPStatus
    /// A machine-readable category, e.g. "not_found"; clients switch on this rather than the message.
    public var type: String
    public var message: String
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, type: String? = nil, message: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.type = type ?? HTTPError.defaultType(for: status)
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    /// `{"error": {"message": ..., "type": ..., "param": null, "code": null}}`: OpenAI's error object, so clients of
    /// the API parse the server's own errors (404, 405, 413 ...) like every other failure.
    public func response() -> HTTPResponse {
        let body = ErrorBody(error: .init(message: message, type: type))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        return .json(data: data, status: status, headers: headers)
    }

    static func defaultType(for status: HTTPStatus) -> String {
        switch status.code {
        case 400: return "invalid_request_error"
        case 401: return "authentication_error"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 413: return "request_too_large"
        case 400..<500: return "invalid_request_error"
        default: return "server_error"
        }
    }

    private struct ErrorBody: Encodable {
        struct Detail: Encodable {
            let message: String
            let type: String

            enum CodingKeys: String, CodingKey { case message, type, param, code }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message)
                try c.encode(type, forKey: .type)
                try c.encodeNil(forKey: .param)
                try c.encodeNil(forKey: .code)
            }
        }
        let error: Detail
    }
}
