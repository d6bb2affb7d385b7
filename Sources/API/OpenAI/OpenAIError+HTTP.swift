// OpenAI errors go out as their own JSON body with their status and headers (the HTTP layer's own errors use the
// same object shape).

extension OpenAIError: HTTPResponseError {
    public func response() -> HTTPResponse {
        var h = HTTPHeaders()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { h.set(name: name, value: value) }
        return .json(data: body, status: status, headers: h)
    }
}
