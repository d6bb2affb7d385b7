// Counters and histograms the server keeps for GET /metrics (Prometheus text format), plus the gauges it reads
// live from the engines and the process when scraped.
import Foundation
import Synchronization

public final class ServerMetrics: Sendable {
    struct Counters: Sendable {
        var requestsByStatus: [Int: Int] = [:]
        var promptTokens = 0
        var generatedTokens = 0
        var timeToFirstToken = Histogram(bounds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
        var perTokenLatency = Histogram(bounds: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1])
        var cancelledSequences = 0
    }

    private let counters = Mutex(Counters())

    public init() {}

    public func recordRequest(status: Int) {
        counters.withLock { $0.requestsByStatus[status, default: 0] += 1 }
    }

    public func recordGeneration(promptTokens: Int, generatedTokens: Int, timeToFirstToken: Double, decodeSeconds: Double) {
        counters.withLock { c in
            c.promptTokens += promptTokens
            c.generatedTokens += generatedTokens
            c.timeToFirstToken.observe(timeToFirstToken)
            if generatedTokens > 1 { c.perTokenLatency.observe(decodeSeconds / Double(generatedTokens - 1)) }
        }
    }

    public func recordCancellation() {
        counters.withLock { $0.cancelledSequences += 1 }
    }

    /// The exposition text; `models` are the loaded models at scrape time.
    public func render(models: [ServedModel]) -> String {
        let c = counters.withLock { $0 }
        var out = ""
        out += "# HELP mergeguard_requests_total HTTP requests by status code.\n# TYPE mergeguard_requests_total counter\n"
        for (status, n) in c.requestsByStatus.sorted(by: { $0.key < $1.key }) {
            out += "mergeguard_requests_total{status=\"\(status)\"} \(n)\n"
        }
        out += "# HELP mergeguard_prompt_tokens_total Prompt tokens processed.\n# TYPE mergeguard_prompt_tokens_total counter\n"
        out += "mergeguard_prompt_tokens_total \(c.promptTokens)\n"
        out += "# HELP mergeguard_generated_tokens_total Tokens generated.\n# TYPE mergeguard_generated_tokens_total counter\n"
        out += "mergeguard_generated_tokens_total \(c.generatedTokens)\n"
        out += "# HELP mergeguard_cancelled_sequences_total Sequences cancelled because the client went away.\n# TYPE mergeguard_cancelled_sequences_total counter\n"
        out += "mergeguard_cancelled_sequences_total \(c.cancelledSequences)\n"
        c.timeToFirstToken.render(name: "mergeguard_time_to_first_token_seconds",
                                  help: "Seconds from request to first generated token.", into: &out)
        c.perTokenLatency.render(name: "mergeguard_time_per_output_token_seconds",
                                 help: "Seconds per generated token after the first.", into: &out)

        // Per-model gauges: one HELP/TYPE header each, then a sample per loaded model.
        let sorted = models.sorted(by: { $0.spec.id < $1.spec.id })
        let stats = sorted.map { $0.engine.statistics }
        let perModel: [(String, String, (Int) -> String)] = [
            ("mergeguard_queue_depth", "Requests waiting for a sequence slot.", { "\(stats[$0].queued)" }),
            ("mergeguard_running_sequences", "Sequences being decoded.", { "\(stats[$0].running)" }),
            ("mergeguard_kv_cache_positions_reserved", "KV-cache positions reserved by running sequences.", { "\(stats[$0].kvPositionsReserved)" }),
            ("mergeguard_kv_cache_positions_budget", "KV-cache positions a model may reserve.", { "\(stats[$0].kvPositionsBudget)" }),
            ("mergeguard_prompt_tokens_reused", "Prompt tokens taken from the prefix cache since the model was loaded.",
             { "\(stats[$0].reusedPromptTokens)" }),
            ("mergeguard_engine_steps", "Forward steps (one batch each) since the model was loaded.",
             { "\(stats[$0].steps)" }),
            ("mergeguard_engine_sequence_steps",
             "Sequences advanced, summed over the steps since the model was loaded (divided by the steps: the mean batch).",
             { "\(stats[$0].sequenceSteps)" }),
            ("mergeguard_merge_seconds", "Seconds the model's merge took at load.", { "\(sorted[$0].mergeSeconds)" }),
            ("mergeguard_load_seconds", "Seconds the model's load (merge included) took.", { "\(sorted[$0].loadSeconds)" }),
        ]
        for (name, help, value) in perModel {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for i in sorted.indices { out += "\(name){model=\"\(sorted[i].spec.id)\"} \(value(i))\n" }
        }
        out += "# HELP mergeguard_loaded_models Models in memory.\n# TYPE mergeguard_loaded_models gauge\n"
        out += "mergeguard_loaded_models \(models.count)\n"
        out += "# HELP process_resident_memory_bytes Resident set size.\n# TYPE process_resident_memory_bytes gauge\n"
        out += "process_resident_memory_bytes \(Self.residentBytes())\n"
        return out
    }

    /// RSS from /proc/self/statm (resident pages × page size).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
