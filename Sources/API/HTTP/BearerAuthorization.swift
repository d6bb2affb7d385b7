// Requires "Authorization: Bearer <key>" with one of a set of keys, except on exempt paths.
import Foundation

public struct BearerAuthorization: HTTPMiddleware {
    public let keys: [String]
    public let exemptPaths: Set<String>

    /// An empty key list disables the check, so a server without configured keys stays open.
    public init(keys: some Sequence<String>, exemptPaths: Set<String> = ["/health"]) {
        self.keys = Array(keys)
        self.exemptPaths = exemptPaths
    }

    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        if keys.isEmpty || exemptPaths.contains(request.path) { return try await next(request) }
        guard let presented = BearerAuthorization.token(in: request.headers) else {
            throw HTTPError(.unauthorized, message: "missing \"Authorization: Bearer <key>\" header",
                            headers: ["WWW-Authenticate": "Bearer"])
        }
        guard keys.contains(where: { BearerAuthorization.constantTimeEqual($0, presented) }) else {
            throw HTTPError(.unauthorized, message: "invalid API key",
                            headers: ["WWW-Authenticate": "Bearer error=\"invalid_token\""])
        }
        return try await next(request)
    }

    static func token(in headers: HTTPHeaders) -> String? {
        guard let value = headers["Authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    // Compares every byte so response timing does not reveal how much of a key was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
