// The usage example from HTTPServer's documentation, compiled and run.
import Foundation
import Testing
import API

@Suite struct UsageExampleTests {
    @Test func documentedExampleWorks() async throws {
        var router = Router()
        router.get("/health") { _ in .text("ok") }
        router.post("/echo/{name}") { request in
            let body = try request.decodeJSON([String: Int].self)
            return try .json(["name": request.parameters["name"] ?? "", "keys": "\(body.count)"])
        }
        router.get("/count") { _ in
            .eventStream { stream in
                for i in 0..<10 where stream.send(ServerSentEvent(data: "\(i)")) {}
            }
        }
        let server = HTTPServer(configuration: .init(port: 0), router: router,
                                middleware: [BearerAuthorization(keys: ["sk-1"])])
        try server.start()
        defer { server.stop() }
        let port = try #require(server.boundPort)
        let auth = ["Authorization": "Bearer sk-1"]
        #expect(try await fetch(port: port, "GET", "/health").text == "ok")
        let echo = try await fetch(port: port, "POST", "/echo/smol", headers: auth, body: Data(#"{"a":1,"b":2}"#.utf8))
        #expect(try JSONDecoder().decode([String: String].self, from: echo.body) == ["name": "smol", "keys": "2"])
        let events = try await fetch(port: port, "GET", "/count", headers: auth)
        #expect(events.text == (0..<10).map { "data: \($0)\n\n" }.joined())
        #expect(try await fetch(port: port, "GET", "/count").status == 401)
    }
}
