// Errors that know which HTTP response they stand for; the server sends that response when a
// handler or middleware throws one. Any other thrown error becomes a 500.

public protocol HTTPResponseError: Error, Sendable {
    var status: HTTPStatus { get }
    /// The complete response to send; defaults to a JSON body describing the error.
    func response() -> HTTPResponse
}

extension HTTPResponseError {
    public func response() -> HTTPResponse {
        HTTPError(status, message: String(describing: self)).response()
    }
}
