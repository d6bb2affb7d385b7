// Request counts and latency per route and status, fed by the server's completion hook and
// rendered in the Prometheus text format for a /metrics route.
import Foundation
import Synchronization

public final class HTTPMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
    public static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    struct Key: Hashable, Comparable {
        let route: String
        let status: Int
        static func < (a: Key, b: Key) -> Bool { (a.route, a.status) < (b.route, b.status) }
    }

    struct Series {
        var count = 0
        var seconds = 0.0
        var buckets = [Int](repeating: 0, count: HTTPMetrics.latencyBuckets.count)
    }

    private let series = Mutex<[Key: Series]>([:])

    public init() {}

    /// Pass this as `onRequestCompleted`. Unmatched paths are pooled under route "unmatched" so a
    /// scanner probing random URLs cannot grow the label set without bound.
    public func record(_ record: HTTPRequestRecord) {
        let key = Key(route: record.route ?? "unmatched", status: record.status?.code ?? 0)
        let (whole, fraction) = record.duration.components
        let seconds = Double(whole) + Double(fraction) / 1e18
        series.withLock { all in
            var entry = all[key] ?? Series()
            entry.count += 1
            entry.seconds += seconds
            for (index, bound) in HTTPMetrics.latencyBuckets.enumerated() where seconds <= bound {
                entry.buckets[index] += 1
            }
            all[key] = entry
        }
    }

    /// Requests seen for a status code, over all routes.
    public func count(status: Int) -> Int {
        series.withLock { all in all.filter { $0.key.status == status }.reduce(0) { $0 + $1.value.count } }
    }

    /// `<prefix>_requests_total{route,status}` and `<prefix>_request_duration_seconds` histogram.
    /// Status 0 means the client left before a response was sent.
    public func prometheusText(prefix: String = "http") -> String {
        let snapshot = series.withLock { $0 }.sorted { $0.key < $1.key }
        var lines = [
            "# HELP \(prefix)_requests_total HTTP requests by route and status.",
            "# TYPE \(prefix)_requests_total counter",
        ]
        for (key, entry) in snapshot {
            lines.append("\(prefix)_requests_total{\(labels(key))} \(entry.count)")
        }
        lines.append("# HELP \(prefix)_request_duration_seconds Time from request headers to the last response byte.")
        lines.append("# TYPE \(prefix)_request_duration_seconds histogram")
        for (key, entry) in snapshot {
            for (bound, count) in zip(HTTPMetrics.latencyBuckets, entry.buckets) {
                lines.append("\(prefix)_request_duration_seconds_bucket{\(labels(key)),le=\"\(bound)\"} \(count)")
            }
            lines.append("\(prefix)_request_duration_seconds_bucket{\(labels(key)),le=\"+Inf\"} \(entry.count)")
            lines.append("\(prefix)_request_duration_seconds_sum{\(labels(key))} \(entry.seconds)")
            lines.append("\(prefix)_request_duration_seconds_count{\(labels(key))} \(entry.count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func labels(_ key: Key) -> String {
        let route = key.route.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "route=\"\(route)\",status=\"\(key.status)\""
    }
}
