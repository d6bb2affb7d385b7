// A path template such as "/v1/models/{id}": literal segments match exactly, `{name}` captures one segment.

public struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    public let description: String
    let segments: [Segment]

    public init(_ template: String) {
        description = template
        segments = RoutePattern.split(template).map { part in
            if part.count > 2, part.hasPrefix("{"), part.hasSuffix("}") {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(part)
        }
    }

    /// The captured parameters when `path` fits the template, nil otherwise.
    func match(_ path: String) -> [String: String]? {
        let parts = RoutePattern.split(path)
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text): if text != part { return nil }
            case .parameter(let name): parameters[name] = part
            }
        }
        return parameters
    }

    // Empty segments are dropped so "/a/" and "/a//b" match like "/a" and "/a/b", as most servers do.
    static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
