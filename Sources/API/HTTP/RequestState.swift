// Per-request bookkeeping between libmicrohttpd's callbacks (its `con_cls`). Touched only by the
// request's connection thread: the access handler, content reader and completion callback all
// run there in thread-per-connection mode, so it needs no locking.
import Foundation
import CMicroHTTPD

final class RequestState {
    let method: HTTPMethod
    let path: String
    let headers: HTTPHeaders
    let query: [String: String]
    let remoteAddress: String?
    let started = ContinuousClock.now
    var body = Data()
    var bodyTooLarge = false
    var route: String?
    var status: HTTPStatus?
    var stream: ResponseStream?
    /// The client hung up while its handler was still running.
    var clientLeft = false

    init(connection: OpaquePointer, method: String, path: String) {
        self.method = HTTPMethod(method)
        self.path = path
        var headers = HTTPHeaders()
        for (name, value) in RequestState.values(of: connection, kind: .HEADER_KIND) {
            headers.add(name: name, value: value)
        }
        self.headers = headers
        var query: [String: String] = [:]
        for (name, value) in RequestState.values(of: connection, kind: .GET_ARGUMENT_KIND) {
            query[name] = value
        }
        self.query = query
        self.remoteAddress = RequestState.describe(mg_connection_client_address(connection))
    }

    var declaredBodySize: Int? { headers["Content-Length"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    /// Appends an upload fragment; past the cap the body is dropped and only the verdict kept.
    func receive(_ bytes: UnsafeRawBufferPointer, limit: Int) {
        guard !bodyTooLarge else { return }
        if body.count + bytes.count > limit {
            bodyTooLarge = true
            body = Data()
            return
        }
        if body.isEmpty, let declared = declaredBodySize { body.reserveCapacity(min(declared, limit)) }
        body.append(contentsOf: bytes)
    }

    func request() -> HTTPRequest {
        HTTPRequest(method: method, path: path, query: query, headers: headers, body: body,
                    remoteAddress: remoteAddress)
    }

    private static func values(of connection: OpaquePointer, kind: MHD_ValueKind) -> [(String, String)] {
        var pairs: [(String, String)] = []
        withUnsafeMutablePointer(to: &pairs) { pointer in
            _ = MHD_get_connection_values(connection, kind, { context, _, key, value in
                guard let context, let key else { return .YES }
                let pairs = context.assumingMemoryBound(to: [(String, String)].self)
                pairs.pointee.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
                return .YES
            }, UnsafeMutableRawPointer(pointer))
        }
        return pairs
    }

    private static func describe(_ address: UnsafePointer<sockaddr>?) -> String? {
        guard let address else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var ip = v4.pointee.sin_addr
                guard let printed = inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)) else { return nil }
                return "\(String(cString: printed)):\(UInt16(bigEndian: v4.pointee.sin_port))"
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var ip = v6.pointee.sin6_addr
                guard let printed = inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)) else { return nil }
                return "[\(String(cString: printed))]:\(UInt16(bigEndian: v6.pointee.sin6_port))"
            }
        default:
            return nil
        }
    }
}
