// Everything the C callbacks need, reached through libmicrohttpd's closure pointer; turns a
// received request into a response by running middleware, the router and error mapping.
import Foundation

final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let router: Router
    let middleware: [any HTTPMiddleware]
    let onRequestCompleted: (@Sendable (HTTPRequestRecord) -> Void)?

    init(configuration: HTTPServerConfiguration, router: Router, middleware: [any HTTPMiddleware],
         onRequestCompleted: (@Sendable (HTTPRequestRecord) -> Void)?) {
        self.configuration = configuration
        self.router = router
        self.middleware = middleware
        self.onRequestCompleted = onRequestCompleted
    }

    /// The response for `request`; never throws, every error becomes an error response.
    func respond(to request: HTTPRequest, match: Router.Match) async -> HTTPResponse {
        let terminal: HTTPHandler = { request in
            switch match {
            case .found(let handler, let parameters, _):
                var request = request
                request.parameters = parameters
                return try await handler(request)
            case .notFound:
                throw HTTPError(.notFound, message: "no route for \(request.method) \(request.path)")
            case .methodNotAllowed(let allowed):
                let list = allowed.map(\.rawValue).joined(separator: ", ")
                throw HTTPError(.methodNotAllowed,
                                message: "\(request.method) is not allowed on \(request.path); allowed: \(list)",
                                headers: ["Allow": list])
            }
        }
        let chain = middleware.reversed().reduce(terminal) { next, step in
            { request in try await step.respond(to: request, next: next) }
        }
        do {
            return try await chain(request)
        } catch {
            return ServerContext.response(for: error)
        }
    }

    static func response(for error: any Error) -> HTTPResponse {
        if let error = error as? any HTTPResponseError { return error.response() }
        return HTTPError(.internalServerError, type: "server_error",
                         message: "the request handler failed: \(String(describing: error))").response()
    }

    /// Runs the async pipeline from a libmicrohttpd connection thread. Blocking that thread is
    /// the point: it belongs to this connection alone, and Swift's cooperative pool stays free.
    /// Returns nil when the client hangs up first; the handler's task is then cancelled, so work
    /// behind it (e.g. a generation) can stop via `Task.isCancelled` or a cancellation handler.
    func respondBlocking(to request: HTTPRequest, match: Router.Match, socket: Int32) -> HTTPResponse? {
        let slot = ResponseSlot()
        let task = Task(executorPreference: HandlerExecutor.shared) {
            slot.fill(await self.respond(to: request, match: match))
        }
        if let response = slot.wait(watching: socket) { return response }
        task.cancel()
        return nil
    }
}
