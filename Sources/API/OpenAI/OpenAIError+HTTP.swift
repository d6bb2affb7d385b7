// OpenAI errors go out as their own JSON body with their status and headers, and the HTTP layer's own errors
// (404, 405, 401, 413 ...) are reshaped into OpenAI's error object so clients parse every failure the same way.

extension OpenAIError: HTTPResponseError {
    public func response() -> HTTPResponse {
        var h = HTTPHeaders()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { h.set(name: name, value: value) }
        return .json(data: body, status: status, headers: h)
    }

    init(_ error: HTTPError) {
        self.init(status: error.status, message: error.message, type: error.type, param: nil, code: nil)
        for (name, value) in error.headers { headers[name] = value }
    }
}

/// Outermost middleware: whatever the router or another middleware throws reaches the client as an OpenAI error.
struct OpenAIErrorShape: HTTPMiddleware {
    func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        do {
            return try await next(request)
        } catch let error as OpenAIError {
            throw error
        } catch let error as HTTPError {
            throw OpenAIError(error)
        }
    }
}
