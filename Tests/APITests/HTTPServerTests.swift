// The server end to end over loopback: lifecycle, routing, bodies, errors, keep-alive, concurrency.
import Foundation
import Testing
import API

struct Echo: Codable, Equatable {
    var name: String
    var values: [Int]
}

struct QuotaExceeded: HTTPResponseError, CustomStringConvertible {
    var status: HTTPStatus { .tooManyRequests }
    var description: String { "quota exceeded for this key" }
}

struct Broken: Error, CustomStringConvertible {
    var description: String { "the frobnicator is broken" }
}

@Suite struct HTTPServerTests {
    @Test func startsOnAFreePortAndStops() async throws {
        var router = Router()
        router.get("/health") { _ in .text("ok") }
        let server = HTTPServer(configuration: .init(port: 0), router: router)
        try server.start()
        let port = try #require(server.boundPort)
        #expect(port != 0)
        #expect(throws: HTTPServerError.alreadyRunning) { try server.start() }
        let response = try await fetch(port: port, "GET", "/health")
        #expect(response.status == 200)
        #expect(response.text == "ok")
        server.stop()
        #expect(server.boundPort == nil)
        server.stop()
        await #expect(throws: RawClientError.self) { _ = try await fetch(port: port, "GET", "/health") }
    }

    @Test func waitUntilStoppedReturnsAfterStop() async throws {
        let server = HTTPServer(configuration: .init(port: 0), router: Router())
        await server.waitUntilStopped()  // not running: returns at once
        try server.start()
        let stopped = Probe(false)
        let waiter = Task {
            await server.waitUntilStopped()
            stopped.update { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!stopped.current)
        server.stop()
        await waiter.value
        #expect(stopped.current)
    }

    @Test func rejectsAHostName() {
        let server = HTTPServer(configuration: .init(host: "example.com", port: 0), router: Router())
        #expect(throws: HTTPServerError.invalidHost("example.com")) { try server.start() }
    }

    @Test func routesByMethodAndPathWithParametersAndQuery() async throws {
        try await withTestServer(routes: { router in
            router.get("/items/{id}") { request in
                .text("get \(request.parameters["id"] ?? "-") q=\(request.query["q"] ?? "-")")
            }
            router.post("/items/{id}") { request in
                .text("post \(request.parameters["id"] ?? "-") \(String(decoding: request.body, as: UTF8.self))")
            }
            router.get("/whoami") { request in
                .text("\(request.method) \(request.path) \(request.headers["x-TEST"] ?? "-") \(request.remoteAddress ?? "-")")
            }
        }) { _, port in
            let get = try await fetch(port: port, "GET", "/items/42?q=a%20b&x=1")
            #expect(get.status == 200)
            #expect(get.text == "get 42 q=a b")
            let post = try await fetch(port: port, "POST", "/items/7", body: Data("hello".utf8))
            #expect(post.text == "post 7 hello")
            let who = try await fetch(port: port, "GET", "/whoami?z=1", headers: ["X-Test": "yes"])
            #expect(who.text.hasPrefix("GET /whoami yes 127.0.0.1:"))
            let head = try await fetch(port: port, "HEAD", "/items/1")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() async throws {
        try await withTestServer(routes: { router in
            router.post("/v1/chat/completions") { _ in .text("chat") }
        }) { _, port in
            let missing = try await fetch(port: port, "GET", "/nope")
            #expect(missing.status == 404)
            #expect(missing.headers["Content-Type"] == "application/json")
            #expect(missing.text.contains("no route for GET /nope"))
            let wrong = try await fetch(port: port, "GET", "/v1/chat/completions")
            #expect(wrong.status == 405)
            #expect(wrong.headers["Allow"] == "POST")
        }
    }

    @Test func echoesJSON() async throws {
        try await withTestServer(routes: { router in
            router.post("/echo") { request in
                try HTTPResponse.json(try request.decodeJSON(Echo.self), status: .created)
            }
        }) { _, port in
            let sent = Echo(name: "smol", values: [1, 2, 3])
            let response = try await fetch(port: port, "POST", "/echo", headers: ["Content-Type": "application/json"],
                                           body: try JSONEncoder().encode(sent))
            #expect(response.status == 201)
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(try JSONDecoder().decode(Echo.self, from: response.body) == sent)
            let bad = try await fetch(port: port, "POST", "/echo", body: Data("{not json".utf8))
            #expect(bad.status == 400)
            #expect(bad.text.contains("invalid_request_error"))
            #expect(bad.text.contains("not valid JSON"))
            let missing = try await fetch(port: port, "POST", "/echo", body: Data(#"{"name":"x"}"#.utf8))
            #expect(missing.text.contains(#"missing field \"values\""#))
            let wrongType = try await fetch(port: port, "POST", "/echo", body: Data(#"{"name":"x","values":[1,"2"]}"#.utf8))
            #expect(wrongType.text.contains(#"field \"values[1]\" should be Int"#))
        }
    }

    @Test func thrownResponseErrorsBecomeTheirResponses() async throws {
        try await withTestServer(routes: { router in
            router.get("/quota") { _ in throw QuotaExceeded() }
            router.get("/teapot") { _ in
                throw HTTPError(HTTPStatus(418), type: "teapot", message: "short and stout", headers: ["X-Why": "tea"])
            }
            router.get("/broken") { _ in throw Broken() }
        }) { _, port in
            let quota = try await fetch(port: port, "GET", "/quota")
            #expect(quota.status == 429)
            #expect(quota.text.contains("quota exceeded for this key"))
            let teapot = try await fetch(port: port, "GET", "/teapot")
            #expect(teapot.status == 418)
            #expect(teapot.headers["X-Why"] == "tea")
            let body = try JSONSerialization.jsonObject(with: teapot.body) as? [String: [String: Any]]
            #expect(body?["error"]?["message"] as? String == "short and stout")
            #expect(body?["error"]?["type"] as? String == "teapot")
            let broken = try await fetch(port: port, "GET", "/broken")
            #expect(broken.status == 500)
            #expect(broken.headers["Content-Type"] == "application/json")
            #expect(broken.text.contains("the frobnicator is broken"))
            #expect(try await fetch(port: port, "GET", "/quota").status == 429)
        }
    }

    @Test func keepsTheConnectionAliveBetweenRequests() async throws {
        try await withTestServer(routes: { router in
            router.get("/n/{n}") { request in .text(request.parameters["n"] ?? "") }
        }) { _, port in
            let texts = try await blocking { () -> [String] in
                let client = try RawHTTPClient(port: port)
                var texts: [String] = []
                for n in 1...3 {
                    try client.request("GET", "/n/\(n)")
                    let response = try client.readResponse()
                    if response.headers["Connection"]?.lowercased() == "close" { texts.append("closed") }
                    texts.append(response.text)
                }
                // Two pipelined requests in one write are answered in order on the same socket.
                try client.send("GET /n/4 HTTP/1.1\r\nHost: a\r\n\r\nGET /n/5 HTTP/1.1\r\nHost: a\r\n\r\n")
                texts.append(try client.readResponse().text)
                texts.append(try client.readResponse().text)
                return texts
            }
            #expect(texts == ["1", "2", "3", "4", "5"])
        }
    }

    @Test func malformedRequestsAreRejectedAndServerSurvives() async throws {
        try await withTestServer(idleTimeout: .seconds(1), routes: { router in
            router.get("/health") { _ in .text("ok") }
        }) { _, port in
            let cases: [(request: String, status: Int?)] = [
                ("THIS IS NOT HTTP\r\n\r\n", 400),
                ("GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n", 400),
                ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400),
                ("GET / HTTP/9.9\r\nHost: a\r\n\r\n", 505),
                ("GET\r\n\r\n", nil),  // no target at all: libmicrohttpd just closes
                ("\u{0}\u{1}\u{2}\u{FF}\r\n\r\n", nil),  // binary noise: held until the idle timeout, then closed
            ]
            for (request, expected) in cases {
                let (status, closed) = try await blocking { () -> (Int?, Bool) in
                    let client = try RawHTTPClient(port: port, receiveTimeout: .seconds(4))
                    try client.send(request)
                    guard expected != nil else { return (nil, client.waitForClose()) }
                    return (try client.readHead().status, client.waitForClose())
                }
                #expect(status == expected, "\(request.debugDescription)")
                #expect(closed, "\(request.debugDescription) left the connection open")
            }
            #expect(try await fetch(port: port, "GET", "/health").status == 200)
        }
    }

    @Test func servesSixteenConcurrentClients() async throws {
        let inFlight = Probe((now: 0, peak: 0))
        try await withTestServer(routes: { router in
            router.get("/slow/{id}") { request in
                inFlight.update { $0.now += 1; $0.peak = max($0.peak, $0.now) }
                try await Task.sleep(for: .milliseconds(200))
                inFlight.update { $0.now -= 1 }
                return .text(request.parameters["id"] ?? "")
            }
        }) { _, port in
            let texts = try await withThrowingTaskGroup(of: String.self) { group in
                for id in 0..<16 {
                    group.addTask { try await fetch(port: port, "GET", "/slow/\(id)").text }
                }
                var texts: [String] = []
                for try await text in group { texts.append(text) }
                return texts
            }
            #expect(Set(texts) == Set((0..<16).map(String.init)))
            // The handlers overlapped rather than running one connection at a time.
            #expect(inFlight.current.peak > 4)
        }
    }
}
