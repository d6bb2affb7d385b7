// Maps (method, path template) to async handlers; tells 404 (no such path) from 405 (wrong method).

public typealias HTTPHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let pattern: RoutePattern
        let handler: HTTPHandler
    }

    enum Match: Sendable {
        case found(handler: HTTPHandler, parameters: [String: String], pattern: RoutePattern)
        case notFound
        case methodNotAllowed(allowed: [HTTPMethod])
    }

    private var routes: [Route] = []

    public init() {}

    /// Registers a handler; when two routes fit a request the one registered first wins.
    public mutating func add(_ method: HTTPMethod, _ template: String, handler: @escaping HTTPHandler) {
        routes.append(Route(method: method, pattern: RoutePattern(template), handler: handler))
    }

    public mutating func get(_ template: String, handler: @escaping HTTPHandler) { add(.get, template, handler: handler) }
    public mutating func post(_ template: String, handler: @escaping HTTPHandler) { add(.post, template, handler: handler) }
    public mutating func put(_ template: String, handler: @escaping HTTPHandler) { add(.put, template, handler: handler) }
    public mutating func delete(_ template: String, handler: @escaping HTTPHandler) { add(.delete, template, handler: handler) }

    func match(method: HTTPMethod, path: String) -> Match {
        var allowed: [HTTPMethod] = []
        var getFallback: Match?
        for route in routes {
            guard let parameters = route.pattern.match(path) else { continue }
            if route.method == method {
                return .found(handler: route.handler, parameters: parameters, pattern: route.pattern)
            }
            // HEAD is GET without a body; libmicrohttpd drops the body on the wire for us.
            if method == .head, route.method == .get, getFallback == nil {
                getFallback = .found(handler: route.handler, parameters: parameters, pattern: route.pattern)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if let getFallback { return getFallback }
        if allowed.isEmpty { return .notFound }
        if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
        return .methodNotAllowed(allowed: allowed)
    }
}
