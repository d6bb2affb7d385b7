// An HTTP/1.1 server on libmicrohttpd: routes requests to async handlers, streams responses,
// and enforces body, idle-time and connection limits.
import Foundation
import Synchronization
import CMicroHTTPD

/// Threading: libmicrohttpd runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION).
/// A streaming response blocks its connection's thread while it waits for the producer, which
/// with a shared polling thread or a small pool would stall every other client; here it stalls
/// only its own. Threads are cheap next to model inference, and `connectionLimit` bounds them.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    let context: ServerContext
    private let running = Mutex<(daemon: OpaquePointer, port: UInt16)?>(nil)

    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), router: Router,
                middleware: [any HTTPMiddleware] = [],
                onRequestCompleted: (@Sendable (HTTPRequestRecord) -> Void)? = nil) {
        self.configuration = configuration
        self.context = ServerContext(configuration: configuration, router: router, middleware: middleware,
                                     onRequestCompleted: onRequestCompleted)
    }

    deinit { stop() }

    /// The port actually listened on (the kernel's choice when configured with 0); nil when stopped.
    public var boundPort: UInt16? { running.withLock { $0?.port } }

    public var isRunning: Bool { running.withLock { $0 != nil } }

    /// Starts listening; returns once the socket is bound, serving on libmicrohttpd's threads.
    public func start() throws(HTTPServerError) {
        try running.withLock { running throws(HTTPServerError) in
            guard running == nil else { throw .alreadyRunning }
            let daemon = try startDaemon()
            running = (daemon, mg_daemon_bind_port(daemon))
        }
    }

    /// Closes the listening socket and every connection, cancelling open streams, and waits for
    /// libmicrohttpd's threads to exit. Safe to call more than once.
    public func stop() {
        guard let daemon = running.withLock({ running in
            defer { running = nil }
            return running?.daemon
        }) else { return }
        MHD_stop_daemon(daemon)
    }

    private func startDaemon() throws(HTTPServerError) -> OpaquePointer {
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        var flags = MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_INTERNAL_POLLING_THREAD.rawValue
            | MHD_USE_AUTO.rawValue
        if address.isIPv6 { flags |= MHD_USE_IPv6.rawValue }
        let closure = Unmanaged.passUnretained(context).toOpaque()
        let completed = unsafeBitCast(MHDCallbacks.requestCompleted, to: UnsafeRawPointer.self)
        errno = 0
        let daemon = address.withSockaddr { sockaddr in
            // Variadic option list: enum options travel as C int, counts as unsigned int, pointers as-is.
            let options: [any CVarArg] = [
                option(.CONNECTION_TIMEOUT), configuration.idleTimeoutSeconds,
                option(.CONNECTION_LIMIT), UInt32(clamping: configuration.connectionLimit),
                option(.NOTIFY_COMPLETED), OpaquePointer(completed), OpaquePointer(closure),
                option(.SOCK_ADDR), OpaquePointer(sockaddr),
                option(.END),
            ]
            return withVaList(options) { list in
                MHD_start_daemon_va(flags, configuration.port, nil, nil,
                                    MHDCallbacks.accessHandler, closure, list)
            }
        }
        guard let daemon else {
            let reason = errno == 0 ? "libmicrohttpd refused to start" : String(cString: strerror(errno))
            throw .cannotListen(host: configuration.host, port: configuration.port, reason: reason)
        }
        return daemon
    }

    private func option(_ option: MHD_OPTION) -> Int32 { Int32(bitPattern: option.rawValue) }
}
