// Why the server could not start.

public enum HTTPServerError: Error, CustomStringConvertible, Equatable {
    case invalidHost(String)
    case alreadyRunning
    case cannotListen(host: String, port: UInt16, reason: String)

    public var description: String {
        switch self {
        case .invalidHost(let host):
            return "\"\(host)\" is not an IPv4 or IPv6 address; give a numeric address such as 127.0.0.1 or ::"
        case .alreadyRunning:
            return "the HTTP server is already running; stop it before starting it again"
        case .cannotListen(let host, let port, let reason):
            return "cannot listen on \(host):\(port): \(reason)"
        }
    }
}
