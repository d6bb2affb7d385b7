// A step around every routed request (authorization, logging, rate limits). Middleware runs in
// registration order, outermost first, and sees 404/405 errors thrown by the router as well.

public protocol HTTPMiddleware: Sendable {
    func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse
}

/// Middleware from a closure, for one-off hooks.
public struct ClosureMiddleware: HTTPMiddleware {
    let body: @Sendable (HTTPRequest, HTTPHandler) async throws -> HTTPResponse

    public init(_ body: @escaping @Sendable (HTTPRequest, HTTPHandler) async throws -> HTTPResponse) {
        self.body = body
    }

    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        try await body(request, next)
    }
}
