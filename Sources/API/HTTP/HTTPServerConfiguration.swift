// Where the server listens and the limits that keep one client from exhausting it.

public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 or IPv6 literal; "localhost" means 127.0.0.1.
    public var host: String
    /// 0 asks the kernel for any free port; read the result from `HTTPServer.boundPort`.
    public var port: UInt16
    /// Larger request bodies get 413 without being buffered.
    public var maxBodySize: Int
    /// A connection idle this long (including one that never finishes its headers) is closed.
    /// Whole seconds; `.zero` disables the timeout.
    public var idleTimeout: Duration
    /// Connections beyond this are refused at accept; each open connection holds one thread.
    public var connectionLimit: Int
    /// Connections from one IP address beyond this are refused; 0 means no per-address limit.
    /// The idle timeout cannot stop a client that trickles a byte just often enough, but this
    /// bounds how many threads one such client can hold.
    public var perAddressConnectionLimit: Int
    /// Silence on a stream before a heartbeat is sent; nil means half the idle timeout, at most
    /// 15 s. It must stay under `idleTimeout`, or libmicrohttpd would close a stream whose
    /// producer is merely slow (e.g. queued behind other requests).
    public var streamHeartbeatInterval: Duration?

    public init(host: String = "127.0.0.1", port: UInt16 = 8080, maxBodySize: Int = 1 << 20,
                idleTimeout: Duration = .seconds(30), connectionLimit: Int = 256,
                perAddressConnectionLimit: Int = 0, streamHeartbeatInterval: Duration? = nil) {
        self.host = host
        self.port = port
        self.maxBodySize = maxBodySize
        self.idleTimeout = idleTimeout
        self.connectionLimit = connectionLimit
        self.perAddressConnectionLimit = perAddressConnectionLimit
        self.streamHeartbeatInterval = streamHeartbeatInterval
    }

    var effectiveHeartbeatInterval: Duration {
        if let streamHeartbeatInterval { return streamHeartbeatInterval }
        return idleTimeout == .zero ? .seconds(15) : min(.seconds(15), idleTimeout / 2)
    }

    var idleTimeoutSeconds: UInt32 {
        let (seconds, attoseconds) = idleTimeout.components
        return UInt32(clamping: seconds + (attoseconds > 0 ? 1 : 0))
    }
}
