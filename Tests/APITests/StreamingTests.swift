// Streaming responses: SSE framing and order, heartbeats, and prompt cancellation on disconnect.
import Foundation
import Testing
import API

@Suite struct StreamingTests {
    @Test func streamsEventsInOrder() async throws {
        try await withTestServer(routes: { router in
            router.get("/events") { _ in
                .eventStream { stream in
                    for i in 0..<50 { stream.send(ServerSentEvent(data: "token \(i)")) }
                }
            }
        }) { _, port in
            let (head, body) = try await blocking { () -> (RawResponse, String) in
                let client = try RawHTTPClient(port: port)
                try client.request("GET", "/events")
                let head = try client.readHead()
                var body = Data()
                while let chunk = try client.readChunk() { body += chunk }
                // The connection stays usable after the stream ends.
                try client.request("GET", "/events")
                _ = try client.readResponse()
                return (RawResponse(status: head.status, headers: head.headers, body: Data()),
                        String(decoding: body, as: UTF8.self))
            }
            #expect(head.status == 200)
            #expect(head.headers["Content-Type"] == "text/event-stream")
            #expect(head.headers["Cache-Control"] == "no-cache")
            #expect(head.headers["Transfer-Encoding"]?.lowercased() == "chunked")
            let expected = (0..<50).map { "data: token \($0)\n\n" }.joined()
            #expect(body == expected)
        }
    }

    @Test func openStreamsDoNotStarveOtherClients() async throws {
        try await withTestServer(routes: { router in
            router.get("/wait") { _ in
                .eventStream { stream in
                    stream.send(ServerSentEvent(data: "open"))
                    while !stream.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                }
            }
            router.get("/health") { _ in .text("ok") }
        }) { _, port in
            var streams: [ClientBox] = []
            for _ in 0..<12 {
                streams.append(try await blocking { () -> ClientBox in
                    let client = try RawHTTPClient(port: port)
                    try client.request("GET", "/wait")
                    _ = try client.readHead()
                    _ = try client.readChunk()
                    return ClientBox(client)
                })
            }
            let start = ContinuousClock.now
            let health = try await fetch(port: port, "GET", "/health")
            #expect(health.status == 200)
            #expect(ContinuousClock.now - start < .seconds(1))
            _ = streams
        }
    }

    @Test func idleStreamSendsHeartbeats() async throws {
        try await withTestServer(heartbeat: .milliseconds(100), routes: { router in
            router.get("/slow") { _ in
                .eventStream { stream in
                    try? await Task.sleep(for: .milliseconds(450))
                    stream.send(ServerSentEvent(data: "late"))
                }
            }
        }) { _, port in
            let body = try await blocking { () -> String in
                let client = try RawHTTPClient(port: port)
                try client.request("GET", "/slow")
                return try client.readResponse().text
            }
            #expect(body.hasPrefix(": keep-alive\n\n"))
            #expect(body.hasSuffix("data: late\n\n"))
        }
    }

    @Test func disconnectCancelsAnIdleProducerPromptly() async throws {
        let cancelledAt = Probe<ContinuousClock.Instant?>(nil)
        let sendAfterCancel = Probe<Bool?>(nil)
        let records = Probe<[HTTPRequestRecord]>([])
        try await withTestServer(onRequestCompleted: { record in records.update { $0.append(record) } },
                                 routes: { router in
            router.get("/wait") { _ in
                .eventStream { stream in
                    stream.send(ServerSentEvent(data: "first"))
                    // Then go quiet, like a sequence waiting for a batch slot.
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        stream.onCancel {
                            cancelledAt.update { $0 = ContinuousClock.now }
                            done.resume()
                        }
                    }
                    sendAfterCancel.update { $0 = stream.send(ServerSentEvent(data: "too late")) }
                }
            }
        }) { _, port in
            let closedAt = try await blocking { () -> ContinuousClock.Instant in
                let client = try RawHTTPClient(port: port)
                try client.request("GET", "/wait")
                _ = try client.readHead()
                _ = try client.readChunk()
                client.close()
                return ContinuousClock.now
            }
            #expect(await eventually(within: .seconds(2)) { sendAfterCancel.current != nil })
            let cancelled = try #require(cancelledAt.current)
            #expect(cancelled - closedAt < .milliseconds(500))
            #expect(sendAfterCancel.current == false)
            #expect(await eventually(within: .seconds(2)) { !records.current.isEmpty })
            #expect(records.current.first?.outcome == .clientDisconnected)
        }
    }

    @Test func disconnectMakesSendReturnFalse() async throws {
        let sentBeforeFailure = Probe<Int?>(nil)
        try await withTestServer(routes: { router in
            router.get("/forever") { _ in
                .eventStream { stream in
                    var count = 0
                    // Bounded so a broken cancellation fails the test instead of looping forever.
                    while count < 500, stream.send(ServerSentEvent(data: "step \(count)")) {
                        count += 1
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    sentBeforeFailure.update { $0 = count }
                }
            }
        }) { _, port in
            try await blocking {
                let client = try RawHTTPClient(port: port)
                try client.request("GET", "/forever")
                _ = try client.readHead()
                for _ in 0..<3 { _ = try client.readChunk() }
                client.close()
            }
            #expect(await eventually(within: .seconds(2)) { sentBeforeFailure.current != nil })
            let count = try #require(sentBeforeFailure.current)
            #expect(count < 100)
        }
    }

    @Test func stopEndsOpenStreamsAndPendingHandlers() async throws {
        let cancelled = Probe(false)
        let handlerCancelled = Probe(false)
        var router = Router()
        router.get("/hang") { _ in
            try await withTaskCancellationHandler {
                try await Task.sleep(for: .seconds(30))
                return .text("never")
            } onCancel: {
                handlerCancelled.update { $0 = true }
            }
        }
        router.get("/wait") { _ in
            .eventStream { stream in
                stream.onCancel { cancelled.update { $0 = true } }
                stream.send(ServerSentEvent(data: "hello"))
                while !stream.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
            }
        }
        let server = HTTPServer(configuration: .init(port: 0), router: router)
        try server.start()
        let port = try #require(server.boundPort)
        let client = try await blocking { () -> ClientBox in
            let client = try RawHTTPClient(port: port)
            try client.request("GET", "/wait")
            _ = try client.readHead()
            _ = try client.readChunk()
            return ClientBox(client)
        }
        let hanging = try await blocking { () -> ClientBox in
            let client = try RawHTTPClient(port: port)
            try client.request("GET", "/hang")
            Thread.sleep(forTimeInterval: 0.1)
            return ClientBox(client)
        }
        let start = ContinuousClock.now
        try await blocking { server.stop() }
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(cancelled.current)
        #expect(await eventually(within: .seconds(1)) { handlerCancelled.current })
        _ = (client, hanging)
    }
}
