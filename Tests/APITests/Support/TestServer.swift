// Starts an HTTPServer on a free loopback port for one test, and runs blocking client code
// off Swift's cooperative pool so it cannot starve the server's handler tasks.
import Foundation
import API

func withTestServer(
    idleTimeout: Duration = .seconds(5), maxBodySize: Int = 1 << 20, connectionLimit: Int = 64,
    perAddressLimit: Int = 0, heartbeat: Duration? = nil,
    middleware: [any HTTPMiddleware] = [],
    onRequestCompleted: (@Sendable (HTTPRequestRecord) -> Void)? = nil,
    routes: (inout Router) -> Void,
    _ body: (HTTPServer, UInt16) async throws -> Void
) async throws {
    var router = Router()
    routes(&router)
    let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodySize: maxBodySize,
                                                idleTimeout: idleTimeout, connectionLimit: connectionLimit,
                                                perAddressConnectionLimit: perAddressLimit,
                                                streamHeartbeatInterval: heartbeat)
    let server = HTTPServer(configuration: configuration, router: router, middleware: middleware,
                            onRequestCompleted: onRequestCompleted)
    try server.start()
    defer { server.stop() }
    guard let port = server.boundPort, port != 0 else { throw RawClientError.malformed("server reported no port") }
    try await body(server, port)
}

/// Runs blocking socket code on its own thread and awaits the result.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.start()
    }
}

/// One request on a fresh connection.
func fetch(port: UInt16, _ method: String, _ target: String, headers: [String: String] = [:],
           body: Data = Data()) async throws -> RawResponse {
    try await blocking {
        do {
            let client = try RawHTTPClient(port: port)
            try client.request(method, target, headers: headers, body: body)
            return try client.readResponse(method: method)
        } catch let error as RawClientError {
            throw RawClientError.during("\(method) \(target)", error)
        }
    }
}
