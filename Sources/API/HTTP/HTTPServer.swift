// An HTTP/1.1 server on libmicrohttpd: routes requests to async handlers, streams responses,
// and enforces body, idle-time and connection limits.
import Foundation
import Synchronization
import CMicroHTTPD

/// ```swift
/// var router = Router()
/// router.get("/health") { _ in .text("ok") }
/// router.post("/echo/{name}") { request in
///     let body = try request.decodeJSON([String: Int].self)        // bad JSON -> 400
///     return try .json(["name": request.parameters["name"] ?? "", "keys": "\(body.count)"])
/// }
/// router.get("/count") { _ in
///     .eventStream { stream in                                    // text/event-stream, chunked
///         for i in 0..<10 where stream.send(ServerSentEvent(data: "\(i)")) {}
///     }                                                           // send == false: client gone
/// }
/// let server = HTTPServer(configuration: .init(port: 8080), router: router,
///                         middleware: [BearerAuthorization(keys: ["sk-1"])])
/// try server.start()
/// ```
///
/// Threading: libmicrohttpd runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION).
/// A streaming response blocks its connection's thread while it waits for the producer, which
/// with a shared polling thread or a small pool would stall every other client; here it stalls
/// only its own. Threads are cheap next to model inference, and `connectionLimit` bounds them.
/// Handlers and stream producers run as Swift tasks on the cooperative pool (as wide as the
/// CPU count), so they must await rather than block.
///
/// A client counts as gone when its socket reports hang-up, including a client that half-closes
/// (shutdown(SHUT_WR)) after sending its request; HTTP clients in practice do not.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    let context: ServerContext
    private let running = Mutex<(daemon: OpaquePointer, port: UInt16)?>(nil)
    private let stopWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])

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

    /// Closes the listening socket and every connection, cancelling open streams and pending
    /// handlers, and waits for libmicrohttpd's threads to exit. Safe to call more than once; must
    /// not be called from a handler (it would wait for that handler's own connection).
    public func stop() {
        guard let daemon = running.withLock({ running in
            defer { running = nil }
            return running?.daemon
        }) else { return }
        MHD_stop_daemon(daemon)
        for waiter in stopWaiters.withLock({ waiters in
            defer { waiters.removeAll() }
            return waiters
        }) {
            waiter.resume()
        }
    }

    /// Suspends until the server is stopped (at once if it is not running); lets a
    /// command-line entry point park after `start()`.
    public func waitUntilStopped() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let parked = running.withLock { running -> Bool in
                guard running != nil else { return false }
                stopWaiters.withLock { $0.append(waiter) }
                return true
            }
            if !parked { waiter.resume() }
        }
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
                option(.PER_IP_CONNECTION_LIMIT), UInt32(clamping: configuration.perAddressConnectionLimit),
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
