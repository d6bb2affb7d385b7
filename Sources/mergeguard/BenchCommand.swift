// `mergeguard bench`: load time, prefill and decode speed, time to first token and peak memory of one model on the
// serving path (int8 by default), with the kernel and thread count that produced them.
import API
import Foundation
import Inference
import Quant

struct BenchCommand {
    static let usage = """
    usage: mergeguard bench [--model PATH | --config models.json --id MODEL] [options]

      --model PATH          a GGUF file or HF folder (default: models/SmolLM2-135M-Instruct.Q4_1.gguf)
      --config, --id        a models.json entry instead, merged exactly as the server serves it
      --weights int8|f32    weight format (default int8)
      --head int8|f32       output head format (default: as --weights)
      --prompt N            prompt tokens for prefill (default 512)
      --tokens N            tokens to decode (default 128)
      --batch N             also decode N sequences together (continuous batching's step; default 1 = off)
      --perplexity FILE     instead of speed: the perplexity of the model over a UTF-8 text file
      --window N            perplexity window in tokens (default 512; scripts/goldens/make_perplexity_golden.py)
      --json                one JSON object instead of text
    Threads: MERGEGUARD_THREADS (default: all cores). Kernel: MERGEGUARD_KERNEL (default: the best this CPU has).
    """

    let options: CommandLineOptions

    init(arguments: ArraySlice<String>) throws {
        options = try CommandLineOptions(arguments, command: "bench",
                                         valued: ["--model", "--config", "--id", "--weights", "--head", "--prompt", "--tokens", "--batch",
                                                  "--perplexity", "--window"],
                                         switches: ["--json", "--help"])
    }

    func run() throws {
        if options.has("--help") { print(Self.usage); return }
        let weights = options.string("--weights") ?? "int8"
        let headFormat = options.string("--head") ?? weights
        for (flag, value) in [("--weights", weights), ("--head", headFormat)] where value != "int8" && value != "f32" {
            throw CommandLineError.invalidValue(option: flag, value: value, expected: "int8 or f32")
        }
        let promptTokens = try options.int("--prompt") ?? 512
        let decodeTokens = try options.int("--tokens") ?? 128
        let batch = try options.int("--batch") ?? 1
        guard promptTokens > 0, decodeTokens > 0, batch > 0 else {
            throw CommandLineError.invalidValue(option: "--prompt/--tokens/--batch", value: "\(promptTokens)/\(decodeTokens)/\(batch)",
                                                expected: "positive")
        }
        let body = weights == "int8" ? LlamaWeights.int8Linear : LlamaWeights.f32Linear
        let head = headFormat == "int8" ? LlamaWeights.int8Linear : LlamaWeights.f32Linear

        let clock = ContinuousClock()
        let loadStart = clock.now
        let model: LlamaModel
        let name: String
        let tokenizerSource: String
        if let id = options.string("--id") {
            let registry = try ModelRegistry.load(path: options.string("--config") ?? "models.json")
            guard let spec = registry.models[id] else {
                throw CommandLineError.invalidValue(option: "--id", value: id, expected: registry.modelOrder.joined(separator: ", "))
            }
            let vocab = try ModelCheckpoint.open(path: registry.families[spec.family]!.base).config.vocabSize
            let loader = try ModelLoader(registry: registry, linear: Self.builder(body: body, head: head, vocab: vocab))
            let served = try loader.load(spec)
            served.engine.stop()
            model = served.chat.model
            name = id
            tokenizerSource = registry.families[spec.family]!.base
        } else {
            let path = options.string("--model") ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"
            let checkpoint = try ModelCheckpoint.open(path: path)
            model = LlamaModel(weights: try checkpoint.loadWeights(linear: Self.builder(body: body, head: head, vocab: checkpoint.config.vocabSize)))
            name = path
            tokenizerSource = path
        }
        let loadSeconds = (clock.now - loadStart).seconds
        if let text = options.string("--perplexity") {
            try runPerplexity(model: model, name: name, tokenizerSource: tokenizerSource, textFile: text,
                              weights: weights, head: headFormat)
            return
        }

        let positions = promptTokens + decodeTokens + 1
        let cache = model.makeCache(capacity: positions)
        let state = model.makeState(maxBatch: 64, maxPositions: positions)
        // An ordinary, fixed token sequence: speed does not depend on which ids are fed.
        let prompt = (0..<promptTokens).map { Int32(1000 + ($0 * 37) % 20000) }
        let prefillStart = clock.now
        var logits = try model.forward(tokens: prompt, cache: cache, state: state)
        let prefillSeconds = (clock.now - prefillStart).seconds
        let decodeStart = clock.now
        var fingerprint = LogitsFingerprint()
        var steps: [Double] = []
        steps.reserveCapacity(decodeTokens)
        for _ in 0..<decodeTokens {
            let stepStart = clock.now
            var best = 0
            for i in 1..<logits.count where logits[i] > logits[best] { best = i }
            fingerprint.add(token: best)
            logits = try model.forward(tokens: [Int32(best)], cache: cache, state: state)
            steps.append((clock.now - stepStart).seconds)
        }
        // The median step resists the stalls a shared machine adds to some steps; the mean above includes them.
        let medianStep = steps.sorted()[steps.count / 2]
        let decodeSeconds = (clock.now - decodeStart).seconds
        fingerprint.add(logits: UnsafeBufferPointer(logits))

        let batched = batch > 1 ? try Self.batchedDecode(model, sequences: batch, prompt: prompt, tokens: decodeTokens) : nil

        let kernel = weights == "int8" ? Int8Kernel.active.rawValue : "OpenBLAS"
        var report: [String: Any] = [
            "model": name, "weights": weights, "head": headFormat, "kernel": kernel,
            "threads": ThreadPool.shared.threadCount, "cpu": Self.cpuModel(),
            "load_seconds": loadSeconds,
            "prompt_tokens": promptTokens, "prefill_tokens_per_second": Double(promptTokens) / prefillSeconds,
            "time_to_first_token_seconds": prefillSeconds,
            "decode_tokens": decodeTokens, "decode_tokens_per_second": Double(decodeTokens) / decodeSeconds,
            "decode_tokens_per_second_median_step": 1 / medianStep,
            "weight_bytes": model.weights.byteCount, "weight_bytes_read_per_token": Self.bytesReadPerToken(model.weights),
            "kv_cache_bytes": cache.byteCount,
            "peak_rss_bytes": Self.peakRSS(), "logits_fingerprint": fingerprint.hex,
        ]
        if let batched {
            report["batch"] = batch
            report["batch_decode_tokens_per_second"] = batched
            report["batch_speedup"] = batched / (Double(decodeTokens) / decodeSeconds)
        }
        if options.has("--json") {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("model \(name) · weights \(weights), head \(headFormat) · kernel \(kernel) · \(ThreadPool.shared.threadCount) threads · \(Self.cpuModel())")
        if let note = Int8Kernel.startup.note { print("note: \(note)") }
        print(String(format: "load %.2f s", loadSeconds))
        print(String(format: "prefill %d tokens: %.1f tokens/s (time to first token %.3f s)", promptTokens,
                     Double(promptTokens) / prefillSeconds, prefillSeconds))
        print(String(format: "decode %d tokens: %.1f tokens/s (median step: %.1f tokens/s)", decodeTokens,
                     Double(decodeTokens) / decodeSeconds, 1 / medianStep))
        print(String(format: "weights %.1f MB, KV cache %.1f MB, peak RSS %.1f MB", Double(model.weights.byteCount) / 1e6,
                     Double(cache.byteCount) / 1e6, Double(Self.peakRSS()) / 1e6))
        if let batched {
            print(String(format: "decode %d sequences together: %.1f tokens/s in all (%.2fx one sequence)", batch, batched,
                         batched / (Double(decodeTokens) / decodeSeconds)))
        }
        print("logits fingerprint \(fingerprint.hex) (equal across builds only when their arithmetic is bit-identical)")
    }

    /// Aggregate tokens/s of `sequences` sequences decoding together, one row each per step, as the server's batch
    /// engine runs them (engine only: no HTTP, no sampling beyond argmax). Each sequence first prefills its own
    /// prompt (the bench prompt with its ids shifted, so the rows differ).
    static func batchedDecode(_ model: LlamaModel, sequences: Int, prompt: [Int32], tokens: Int) throws -> Double {
        let positions = prompt.count + tokens + 1
        let state = model.makeState(maxBatch: max(64, sequences), maxPositions: positions)
        let caches = (0..<sequences).map { _ in model.makeCache(capacity: positions) }
        let vocab = model.config.vocabSize
        func argmax(_ row: UnsafeBufferPointer<Float>) -> Int32 {
            var best = 0
            for i in 1..<row.count where row[i] > row[best] { best = i }
            return Int32(best)
        }
        var next: [Int32] = []
        for (s, cache) in caches.enumerated() {
            let logits = try model.forward(tokens: prompt.map { ($0 + Int32(s)) % Int32(vocab) }, cache: cache, state: state)
            next.append(argmax(UnsafeBufferPointer(logits)))
        }
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<tokens {
            let runs = (0..<sequences).map { SequenceRun(tokens: [next[$0]][...], cache: caches[$0]) }
            let logits = try model.forward(runs: runs, state: state)
            for s in 0..<sequences {
                next[s] = argmax(UnsafeBufferPointer(rebasing: logits[(s * vocab)..<((s + 1) * vocab)]))
            }
        }
        return Double(sequences * tokens) / (clock.now - start).seconds
    }

    /// The body's format for every matrix but the output head (the only one with vocabulary-many rows).
    static func builder(body: @escaping LlamaWeights.LinearBuilder, head: @escaping LlamaWeights.LinearBuilder,
                        vocab: Int) -> LlamaWeights.LinearBuilder {
        { w, outFeatures, inFeatures in (outFeatures == vocab ? head : body)(w, outFeatures, inFeatures) }
    }

    /// What one decode step streams from memory: every matrix and norm, the output head, but only one embedding row.
    static func bytesReadPerToken(_ w: LlamaWeights) -> Int {
        let layers = w.layers.reduce(0) { total, l in
            total + l.attentionNorm.byteCount + l.ffnNorm.byteCount + l.query.byteCount + l.key.byteCount
                + l.value.byteCount + l.attentionOutput.byteCount + l.gate.byteCount + l.up.byteCount + l.down.byteCount
        }
        return layers + w.outputNorm.byteCount + w.output.byteCount + w.config.hiddenSize * MemoryLayout<Float>.stride
    }

    static func peakRSS() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }

    static func cpuModel() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) else { return "unknown CPU" }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    }
}
