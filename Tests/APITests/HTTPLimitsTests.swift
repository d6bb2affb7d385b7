// Body cap, idle timeout against slow clients, and the server staying up after both.
import Foundation
import Testing
import API

@Suite struct HTTPLimitsTests {
    @Test func declaredOversizedBodyGets413BeforeItIsSent() async throws {
        let handled = Probe(0)
        try await withTestServer(routes: { router in
            router.post("/upload") { request in
                handled.update { $0 += 1 }
                return .text("\(request.body.count)")
            }
            router.get("/health") { _ in .text("ok") }
        }) { _, port in
            let response = try await blocking { () -> RawResponse in
                let client = try RawHTTPClient(port: port)
                // Only the head: the server must answer from Content-Length alone, before any body.
                try client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: \(2 << 20)\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 413)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(response.text.contains("request_too_large"))
            #expect(handled.current == 0)
            #expect(try await fetch(port: port, "GET", "/health").status == 200)
            let fits = try await fetch(port: port, "POST", "/upload", body: Data(count: 1 << 20))
            #expect(fits.text == "\(1 << 20)")
        }
    }

    @Test func chunkedOversizedBodyIsDiscardedThen413() async throws {
        try await withTestServer(maxBodySize: 64 * 1024, routes: { router in
            router.post("/upload") { request in .text("\(request.body.count)") }
        }) { _, port in
            let response = try await blocking { () -> RawResponse in
                let client = try RawHTTPClient(port: port)
                try client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                let piece = Data(repeating: 0x61, count: 32 * 1024)
                for _ in 0..<64 {  // 2 MiB in 32 KiB chunks
                    try client.send("8000\r\n")
                    try client.send(piece)
                    try client.send("\r\n")
                }
                try client.send("0\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 413)
            let small = try await fetch(port: port, "POST", "/upload", body: Data(count: 1000))
            #expect(small.status == 200)
            #expect(small.text == "1000")
        }
    }

    @Test func clientThatNeverFinishesHeadersIsCut() async throws {
        try await withTestServer(idleTimeout: .seconds(1), routes: { router in
            router.get("/health") { _ in .text("ok") }
        }) { _, port in
            let (closed, elapsed) = try await blocking { () -> (Bool, Duration) in
                let client = try RawHTTPClient(port: port, receiveTimeout: .seconds(8))
                let start = ContinuousClock.now
                try client.send("GET /health HTTP/1.1\r\nHost: a\r\nX-Slow: ")
                return (client.waitForClose(), ContinuousClock.now - start)
            }
            #expect(closed)
            #expect(elapsed >= .milliseconds(500))
            #expect(elapsed < .seconds(5))
            #expect(try await fetch(port: port, "GET", "/health").status == 200)
        }
    }

    @Test(arguments: [(total: 2, perAddress: 0), (total: 64, perAddress: 2)])
    func connectionsBeyondTheLimitAreRefused(limits: (total: Int, perAddress: Int)) async throws {
        try await withTestServer(connectionLimit: limits.total, perAddressLimit: limits.perAddress, routes: { router in
            router.get("/health") { _ in .text("ok") }
        }) { _, port in
            let (third, afterRelease) = try await blocking { () -> (Bool, Int) in
                let first = try RawHTTPClient(port: port)
                let second = try RawHTTPClient(port: port)
                for client in [first, second] {  // both held open by keep-alive
                    try client.request("GET", "/health")
                    _ = try client.readResponse()
                }
                let extra = try RawHTTPClient(port: port, receiveTimeout: .seconds(2))
                try? extra.request("GET", "/health")
                let refused = extra.waitForClose()
                first.close()
                Thread.sleep(forTimeInterval: 0.2)
                let later = try RawHTTPClient(port: port)
                try later.request("GET", "/health")
                return (refused, try later.readResponse().status)
            }
            #expect(third)
            #expect(afterRelease == 200)
        }
    }

    @Test func idleKeepAliveConnectionIsClosedAfterTimeout() async throws {
        try await withTestServer(idleTimeout: .seconds(1), routes: { router in
            router.get("/health") { _ in .text("ok") }
        }) { _, port in
            let closed = try await blocking { () -> Bool in
                let client = try RawHTTPClient(port: port, receiveTimeout: .seconds(6))
                try client.request("GET", "/health")
                _ = try client.readResponse()
                return client.waitForClose()
            }
            #expect(closed)
        }
    }
}

@Suite struct HTTPLongHandlerTests {
    @Test func handlerSlowerThanIdleTimeoutStillAnswers() async throws {
        try await withTestServer(idleTimeout: .seconds(1), routes: { router in
            router.get("/slow") { _ in
                try await Task.sleep(for: .milliseconds(2500))
                return .text("done")
            }
        }) { _, port in
            let response = try await fetch(port: port, "GET", "/slow")
            #expect(response.status == 200)
            #expect(response.text == "done")
        }
    }

    @Test func clientLeavingCancelsTheHandlerTask() async throws {
        let cancelledAt = Probe<ContinuousClock.Instant?>(nil)
        let records = Probe<[HTTPRequestRecord]>([])
        try await withTestServer(onRequestCompleted: { record in records.update { $0.append(record) } },
                                 routes: { router in
            router.post("/generate") { _ in
                try await withTaskCancellationHandler {
                    try await Task.sleep(for: .seconds(10))
                    return .text("finished")
                } onCancel: {
                    cancelledAt.update { $0 = ContinuousClock.now }
                }
            }
        }) { _, port in
            let closedAt = try await blocking { () -> ContinuousClock.Instant in
                let client = try RawHTTPClient(port: port)
                try client.request("POST", "/generate", body: Data("{}".utf8))
                Thread.sleep(forTimeInterval: 0.2)
                client.close()
                return ContinuousClock.now
            }
            #expect(await eventually(within: .seconds(2)) { cancelledAt.current != nil })
            let cancelled = try #require(cancelledAt.current)
            #expect(cancelled - closedAt < .milliseconds(500))
            #expect(await eventually(within: .seconds(2)) { !records.current.isEmpty })
            #expect(records.current.first?.outcome == .clientDisconnected)
            #expect(records.current.first?.status == nil)
        }
    }
}
