// One parsed request as handlers see it: fully received, immutable, safe to pass between tasks.
import Foundation

public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The percent-decoded path, without the query string.
    public var path: String
    /// Query arguments, percent-decoded; when a name repeats, the last value wins.
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: Data
    /// The peer as "address:port" (IPv6 in brackets); nil when the socket did not report it.
    public var remoteAddress: String?
    /// Values of the `{name}` segments of the matched route; filled in by the router.
    public var parameters: [String: String]

    public init(method: HTTPMethod, path: String, query: [String: String] = [:],
                headers: HTTPHeaders = [:], body: Data = Data(), remoteAddress: String? = nil,
                parameters: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.parameters = parameters
    }

    /// Decodes the body as JSON; a malformed body becomes a 400 that names the problem.
    public func decodeJSON<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws(HTTPError) -> T {
        do {
            return try decoder.decode(type, from: body)
        } catch {
            throw HTTPError(.badRequest, type: "invalid_request_error",
                            message: "invalid request body: \(HTTPRequest.explain(error))")
        }
    }

    /// A DecodingError in words a client can act on, naming the JSON path ("messages[0].role").
    static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let index = key.intValue { return text + "[\(index)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "field \"\(path(context.codingPath))\" should be \(type)"
        case .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" is null, expected \(type)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "field \"\(path(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}
