// What a handler returns: a status, headers, and either a complete body or a stream producer.
import Foundation

public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case data(Data)
        /// Sent with chunked transfer encoding as the producer writes. The producer runs in its own
        /// task once the headers are queued; the stream ends when it returns or calls `finish()`.
        case stream(heartbeat: Data?, producer: @Sendable (ResponseStream) async -> Void)
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: Body = .data(Data())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], data: Data) {
        self.init(status: status, headers: headers, body: .data(data))
    }

    /// A plain-text response, for /health-style endpoints.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"],
                     data: Data(text.utf8))
    }

    /// Already-encoded JSON bytes.
    public static func json(data: Data, status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: headers, data: data)
    }

    /// Encodes `value` as JSON; an encoding failure is a server bug and surfaces as a 500.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok, headers: HTTPHeaders = [:],
                                          encoder: JSONEncoder = JSONEncoder()) throws(HTTPError) -> HTTPResponse {
        do {
            return json(data: try encoder.encode(value), status: status, headers: headers)
        } catch {
            throw HTTPError(.internalServerError, type: "server_error",
                            message: "could not encode the \(T.self) response as JSON: \(error)")
        }
    }

    /// A Server-Sent Events stream. While the producer is silent a comment line is sent every
    /// heartbeat interval so idle-connection timeouts and proxies keep the stream open.
    public static func eventStream(status: HTTPStatus = .ok, headers: HTTPHeaders = [:],
                                   producer: @escaping @Sendable (ResponseStream) async -> Void) -> HTTPResponse {
        var headers = headers
        headers.set(name: "Content-Type", value: "text/event-stream")
        headers.set(name: "Cache-Control", value: "no-cache")
        return HTTPResponse(status: status, headers: headers,
                            body: .stream(heartbeat: Data(": keep-alive\n\n".utf8), producer: producer))
    }
}
