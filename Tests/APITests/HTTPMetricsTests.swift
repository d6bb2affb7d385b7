// The metrics collector on its own and fed by a live server.
import Foundation
import Testing
import API

@Suite struct HTTPMetricsTests {
    private func record(_ route: String?, _ status: Int, milliseconds: Int) -> HTTPRequestRecord {
        HTTPRequestRecord(method: .get, path: "/x", route: route, status: HTTPStatus(status),
                          duration: .milliseconds(milliseconds), outcome: .completed)
    }

    @Test func countsAndRendersPrometheusText() {
        let metrics = HTTPMetrics()
        metrics.record(record("/v1/models", 200, milliseconds: 3))
        metrics.record(record("/v1/models", 200, milliseconds: 70))
        metrics.record(record(nil, 404, milliseconds: 1))
        #expect(metrics.count(status: 200) == 2)
        #expect(metrics.count(status: 404) == 1)
        let text = metrics.prometheusText(prefix: "mg_http")
        #expect(text.contains("mg_http_requests_total{route=\"/v1/models\",status=\"200\"} 2\n"))
        #expect(text.contains("mg_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"))
        #expect(text.contains("mg_http_request_duration_seconds_bucket{route=\"/v1/models\",status=\"200\",le=\"0.005\"} 1\n"))
        #expect(text.contains("mg_http_request_duration_seconds_bucket{route=\"/v1/models\",status=\"200\",le=\"0.1\"} 2\n"))
        #expect(text.contains("mg_http_request_duration_seconds_count{route=\"/v1/models\",status=\"200\"} 2\n"))
    }

    @Test func collectsFromALiveServer() async throws {
        let metrics = HTTPMetrics()
        try await withTestServer(onRequestCompleted: metrics.record, routes: { router in
            router.get("/metrics") { _ in .text(metrics.prometheusText()) }
        }) { _, port in
            _ = try await fetch(port: port, "GET", "/metrics")
            _ = try await fetch(port: port, "GET", "/nowhere")
            #expect(await eventually(within: .seconds(2)) { metrics.count(status: 200) == 1 && metrics.count(status: 404) == 1 })
            let text = try await fetch(port: port, "GET", "/metrics").text
            #expect(text.contains("http_requests_total{route=\"/metrics\",status=\"200\"} 1\n"))
            #expect(text.contains("http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"))
        }
    }
}
