// What the metrics hook learns about each finished request.

public struct HTTPRequestRecord: Sendable {
    public enum Outcome: Sendable, Equatable {
        case completed
        case clientDisconnected
        case timedOut
        case serverStopped
        case failed
    }

    public var method: HTTPMethod
    public var path: String
    /// The matched route template (e.g. "/v1/models/{id}"), a low-cardinality metrics label; nil when no route matched.
    public var route: String?
    /// The status sent; nil when the request ended before a response was queued.
    public var status: HTTPStatus?
    /// From the end of the request headers to the last byte of the response (streams included).
    public var duration: Duration
    public var outcome: Outcome

    public init(method: HTTPMethod, path: String, route: String?, status: HTTPStatus?, duration: Duration,
                outcome: Outcome) {
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.duration = duration
        self.outcome = outcome
    }
}
