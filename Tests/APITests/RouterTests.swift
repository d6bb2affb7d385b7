// Route matching, SSE encoding and bearer parsing, without a server.
import Foundation
import Testing
@testable import API

@Suite struct RouterTests {
    private func router() -> Router {
        var router = Router()
        router.get("/v1/models") { _ in .text("list") }
        router.get("/v1/models/{id}") { _ in .text("one") }
        router.post("/v1/chat/completions") { _ in .text("chat") }
        return router
    }

    @Test func literalAndParameterRoutesMatch() {
        guard case .found(_, let parameters, let pattern) = router().match(method: .get, path: "/v1/models/smol-135m") else {
            Issue.record("no match")
            return
        }
        #expect(parameters == ["id": "smol-135m"])
        #expect(pattern.description == "/v1/models/{id}")
        guard case .found(_, let none, _) = router().match(method: .get, path: "/v1/models/") else {
            Issue.record("trailing slash should match")
            return
        }
        #expect(none.isEmpty)
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = router().match(method: .get, path: "/v1/models/a/b") else {
            Issue.record("expected notFound")
            return
        }
    }

    @Test func wrongMethodListsAllowedMethods() {
        guard case .methodNotAllowed(let allowed) = router().match(method: .get, path: "/v1/chat/completions") else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(allowed == [.post])
        guard case .methodNotAllowed(let getAllowed) = router().match(method: .delete, path: "/v1/models") else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(getAllowed == [.get, .head])
    }

    @Test func headFallsBackToGet() {
        guard case .found = router().match(method: .head, path: "/v1/models") else {
            Issue.record("HEAD should use the GET route")
            return
        }
    }

    @Test func serverSentEventSplitsLinesAndKeepsOtherNewlines() {
        let event = ServerSentEvent(data: "a\nb\r\nc\u{2028}d", event: "tok\nen", id: "7")
        #expect(String(decoding: event.encoded, as: UTF8.self)
                == "event: token\nid: 7\ndata: a\ndata: b\ndata: c\u{2028}d\n\n")
    }

    @Test func bearerTokenParsing() {
        #expect(BearerAuthorization.token(in: ["authorization": "Bearer  sk-1 "]) == "sk-1")
        #expect(BearerAuthorization.token(in: ["Authorization": "Basic abc"]) == nil)
        #expect(BearerAuthorization.constantTimeEqual("sk-1", "sk-1"))
        #expect(!BearerAuthorization.constantTimeEqual("sk-1", "sk-12"))
        #expect(!BearerAuthorization.constantTimeEqual("sk-1", "sk-2"))
    }

    @Test func headersAreCaseInsensitive() {
        var headers: HTTPHeaders = ["Content-Type": "a"]
        headers.add(name: "X-Many", value: "1")
        headers.add(name: "x-many", value: "2")
        #expect(headers["content-type"] == "a")
        #expect(headers.values(for: "X-MANY") == ["1", "2"])
        headers.set(name: "X-Many", value: "3")
        #expect(headers.values(for: "x-many") == ["3"])
    }
}
