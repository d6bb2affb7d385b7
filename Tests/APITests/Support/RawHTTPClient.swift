// A deliberately small HTTP/1.1 client over a raw loopback socket, so tests control exactly what
// is sent and when: partial headers, oversized bodies, abrupt disconnects, pipelined requests.
import Foundation
import API

enum RawClientError: Error, CustomStringConvertible {
    case connect(errno: Int32)
    case send(errno: Int32)
    case timedOut
    case closed
    case malformed(String)
    indirect case during(String, RawClientError)

    var description: String {
        switch self {
        case .connect(let e): return "connect failed: \(String(cString: strerror(e)))"
        case .send(let e): return "send failed: \(String(cString: strerror(e)))"
        case .timedOut: return "timed out waiting for the server"
        case .closed: return "server closed the connection"
        case .malformed(let why): return "malformed response: \(why)"
        case .during(let request, let error): return "\(request): \(error)"
        }
    }
}

struct RawResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
}

final class RawHTTPClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var isOpen = true

    /// Every read gives up after `receiveTimeout`, so a broken server fails a test instead of hanging it.
    init(port: UInt16, receiveTimeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let (seconds, attoseconds) = receiveTimeout.components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            // Close here and mark closed: deinit still runs after a throwing init, and a second
            // close could hit a descriptor number another test has reused meanwhile.
            let error = errno
            Glibc.close(fd)
            isOpen = false
            throw RawClientError.connect(errno: error)
        }
    }

    deinit { close() }

    func close() {
        if isOpen { Glibc.close(fd) }
        isOpen = false
    }

    func send(_ text: String) throws { try send(Data(text.utf8)) }

    func send(_ data: Data) throws {
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 { throw RawClientError.send(errno: errno) }
                offset += sent
            }
        }
    }

    /// A request with Host and, when there is a body, Content-Length.
    func request(_ method: String, _ target: String, headers: [String: String] = [:], body: Data = Data()) throws {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        try send(Data((head + "\r\n").utf8) + body)
    }

    /// Status line and headers.
    func readHead() throws -> (status: Int, headers: HTTPHeaders) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw RawClientError.malformed("status line \"\(statusLine)\"")
        }
        var headers = HTTPHeaders()
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw RawClientError.malformed("header \"\(line)\"") }
            headers.add(name: String(line[..<colon]),
                        value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, headers)
    }

    /// A whole response, framed by Content-Length, chunked encoding, or the connection closing.
    func readResponse(method: String = "GET") throws -> RawResponse {
        let (status, headers) = try readHead()
        var body = Data()
        if method == "HEAD" || status == 204 || status == 304 {
        } else if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            while let chunk = try readChunk() { body += chunk }
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            body = try readBytes(length)
        } else {
            body = readUntilClosed()
        }
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// The next chunk of a chunked body; nil after the last (zero-size) chunk and its trailers.
    func readChunk() throws -> Data? {
        let sizeLine = try readLine()
        guard let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16) else {
            throw RawClientError.malformed("chunk size \"\(sizeLine)\"")
        }
        if size == 0 {
            while try !readLine().isEmpty {}
            return nil
        }
        let chunk = try readBytes(size)
        guard try readLine().isEmpty else { throw RawClientError.malformed("chunk not followed by CRLF") }
        return chunk
    }

    /// Whatever arrives until the peer closes (or the receive timeout passes).
    func readUntilClosed() -> Data {
        while (try? fill()) == true {}
        defer { buffer.removeAll() }
        return Data(buffer)
    }

    /// True when the server closes the connection (EOF or reset) before the receive timeout.
    func waitForClose() -> Bool {
        while true {
            do {
                guard try fill() else { return true }
                buffer.removeAll()
            } catch RawClientError.timedOut {
                return false
            } catch {
                return true
            }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer.indices.dropLast().first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                let line = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return line
            }
            guard try fill() else { throw RawClientError.closed }
        }
    }

    private func readBytes(_ count: Int) throws -> Data {
        while buffer.count < count {
            guard try fill() else { throw RawClientError.closed }
        }
        defer { buffer.removeFirst(count) }
        return Data(buffer[..<count])
    }

    /// Reads what is available; false on EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let received = recv(fd, &chunk, chunk.count, 0)
        if received > 0 {
            buffer += chunk[..<received]
            return true
        }
        if received == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw RawClientError.timedOut }
        if errno == ECONNRESET { return false }
        throw RawClientError.malformed("recv: \(String(cString: strerror(errno)))")
    }
}
