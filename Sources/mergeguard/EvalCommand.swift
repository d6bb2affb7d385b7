// `mergeguard eval`: scores a served model (merged exactly as the server would serve it) on JSONL evaluation sets.
import API
import Evaluation
import Foundation
import Inference

struct EvalCommand {
    static let usage = """
    usage: mergeguard eval --config models.json --model ID --data FILE.jsonl [FILE.jsonl ...] [--limit N] [--json]

      Each row {"prompt", "answer", "target"?} is sent as the single user message through the model's chat template
      and answered greedily (12 new tokens). Reported per file: accuracy (share answered with `answer`) and, for
      rows with a `target`, the attack success rate (share answered with `target`).
    """

    let options: CommandLineOptions

    init(arguments: ArraySlice<String>) throws {
        // `--data a.jsonl b.jsonl` takes every following non-option argument.
        var normalized: [String] = []
        var inData = false
        for a in arguments {
            if a.hasPrefix("--") { inData = a == "--data"; if inData { continue } }
            if inData { normalized += ["--data", a]; continue }
            normalized.append(a)
        }
        options = try CommandLineOptions(normalized[...], command: "eval", valued: ["--config", "--model", "--data", "--limit"],
                                         switches: ["--json", "--help"])
    }

    func run() throws {
        if options.has("--help") { print(Self.usage); return }
        guard let id = options.string("--model") else { throw CommandLineError.missingValue("--model") }
        let files = options.strings("--data")
        guard !files.isEmpty else { throw CommandLineError.missingValue("--data") }
        let limit = try options.int("--limit")
        let sets = try files.map { try EvalSet.load(path: $0, limit: limit) }
        let registry = try ModelRegistry.load(path: options.string("--config") ?? "models.json")
        guard let spec = registry.models[id] else {
            throw CommandLineError.invalidValue(option: "--model", value: id, expected: "one of \(registry.modelOrder.joined(separator: ", "))")
        }
        var engine = BatchEngineConfiguration()
        engine.contextLength = 1024
        engine.queueCapacity = 256
        engine.maxRunningSequences = 32
        let loader = try ServingFormat.loader(registry: registry, engine: engine)
        let served = try loader.load(spec)
        defer { served.engine.stop() }
        note(String(format: "%@: loaded in %.1f s (merge %.1f s)", id, served.loadSeconds, served.mergeSeconds))
        let runner = EvalRunner(chat: served.chat, engine: served.engine)
        var results: [EvalFileResult] = []
        for set in sets {
            let name = URL(fileURLWithPath: set.file).lastPathComponent
            let bar = ProgressBar(label: name)
            let replies = try runner.replies(for: set) { done, total in bar.update(done, of: total) }
            bar.finish()
            let result = EvalScorer(set: set).score(replies: replies)
            results.append(result)
            if !options.has("--json") {
                var line = String(format: "%@: accuracy %.3f", name, result.accuracy)
                if let asr = result.attackSuccessRate { line += String(format: "  ASR %.3f", asr) }
                line += String(format: "  (%d rows, %.0f%% unlabelled)", result.rows, result.unlabelled * 100)
                print(line)
            }
        }
        if options.has("--json") {
            let object: [String: Any] = ["model": id, "trusted": spec.trusted, "recipe": spec.trusted ? NSNull() : spec.merge.method,
                                         "results": results.map(\.json)]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
