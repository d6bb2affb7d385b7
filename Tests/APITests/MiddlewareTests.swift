// Authorization and the per-request metrics hook.
import Foundation
import Testing
import API

@Suite struct MiddlewareTests {
    @Test func bearerAuthorizationGuardsAllButExemptPaths() async throws {
        try await withTestServer(middleware: [BearerAuthorization(keys: ["sk-one", "sk-two"])], routes: { router in
            router.get("/health") { _ in .text("ok") }
            router.get("/v1/models") { _ in .text("models") }
        }) { _, port in
            let missing = try await fetch(port: port, "GET", "/v1/models")
            #expect(missing.status == 401)
            #expect(missing.headers["WWW-Authenticate"] == "Bearer")
            #expect(missing.text.contains("authentication_error"))
            let wrong = try await fetch(port: port, "GET", "/v1/models", headers: ["Authorization": "Bearer sk-three"])
            #expect(wrong.status == 401)
            let right = try await fetch(port: port, "GET", "/v1/models", headers: ["Authorization": "Bearer sk-two"])
            #expect(right.status == 200)
            #expect(right.text == "models")
            #expect(try await fetch(port: port, "GET", "/health").status == 200)
            // Unknown paths are not revealed to unauthenticated clients.
            #expect(try await fetch(port: port, "GET", "/secret").status == 401)
        }
    }

    @Test func middlewareRunsInOrderAroundHandlers() async throws {
        let tag = ClosureMiddleware { request, next in
            var response = try await next(request)
            response.headers.add(name: "X-Outer", value: "1")
            return response
        }
        let reject = ClosureMiddleware { request, next in
            if request.headers["X-Block"] != nil { throw HTTPError(.forbidden, message: "blocked") }
            return try await next(request)
        }
        try await withTestServer(middleware: [tag, reject], routes: { router in
            router.get("/x") { _ in .text("x") }
        }) { _, port in
            let ok = try await fetch(port: port, "GET", "/x")
            #expect(ok.headers["X-Outer"] == "1")
            let blocked = try await fetch(port: port, "GET", "/x", headers: ["X-Block": "1"])
            #expect(blocked.status == 403)
            #expect(blocked.headers["X-Outer"] == nil)
        }
    }

    @Test func metricsHookSeesEveryRequest() async throws {
        let records = Probe<[HTTPRequestRecord]>([])
        try await withTestServer(onRequestCompleted: { record in records.update { $0.append(record) } },
                                 routes: { router in
            router.get("/items/{id}") { _ in
                try await Task.sleep(for: .milliseconds(30))
                return .text("item")
            }
        }) { _, port in
            _ = try await fetch(port: port, "GET", "/items/1")
            _ = try await fetch(port: port, "GET", "/items/2")
            _ = try await fetch(port: port, "GET", "/missing")
            _ = try await blocking {
                let client = try RawHTTPClient(port: port)
                try client.send("POST /items/1 HTTP/1.1\r\nHost: a\r\nContent-Length: \(2 << 20)\r\n\r\n")
                return try client.readResponse()
            }
            #expect(await eventually(within: .seconds(2)) { records.current.count == 4 })
            let byStatus = Dictionary(grouping: records.current, by: { $0.status?.code ?? 0 }).mapValues(\.count)
            #expect(byStatus == [200: 2, 404: 1, 413: 1])
            let items = records.current.filter { $0.status == .ok }
            #expect(items.allSatisfy { $0.route == "/items/{id}" && $0.duration >= .milliseconds(30) })
            #expect(items.allSatisfy { $0.outcome == .completed })
            #expect(records.current.first { $0.status == .notFound }?.route == nil)
        }
    }
}
