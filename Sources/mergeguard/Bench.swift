// `mergeguard bench`: prefill and greedy-decode speed of a GGUF model with f32 or int8 linear layers.
import Foundation
import Inference
import Quant

enum Bench {
    static let usage = "usage: mergeguard bench [--model PATH] [--weights f32|int8] [--head f32|int8] [--prompt N] [--tokens N]"

    struct Options {
        var model = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
        var weights = "int8"
        var head: String?   // defaults to --weights
        var promptTokens = 64
        var decodeTokens = 128
    }

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var i = 0
        while i < arguments.count {
            guard i + 1 < arguments.count else { return nil }
            let value = arguments[i + 1]
            switch arguments[i] {
            case "--model": options.model = value
            case "--weights": guard value == "f32" || value == "int8" else { return nil }; options.weights = value
            case "--head": guard value == "f32" || value == "int8" else { return nil }; options.head = value
            case "--prompt": guard let n = Int(value), n > 0 else { return nil }; options.promptTokens = n
            case "--tokens": guard let n = Int(value), n > 0 else { return nil }; options.decodeTokens = n
            default: return nil
            }
            i += 2
        }
        return options
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard let o = parse(arguments) else {
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            return 2
        }
        do {
            let clock = ContinuousClock()
            let loadStart = clock.now
            let gguf = try GGUFFile(path: o.model)
            let config = try ModelConfig(gguf: gguf)
            let body = o.weights == "int8" ? LlamaWeights.int8Linear : LlamaWeights.f32Linear
            let headWeights = o.head ?? o.weights
            let head = headWeights == "int8" ? LlamaWeights.int8Linear : LlamaWeights.f32Linear
            // Only the output head has vocabSize rows, so this tells it apart from the body's matrices.
            let linear: LlamaWeights.LinearBuilder = { w, out, inFeatures in
                (out == config.vocabSize ? head : body)(w, out, inFeatures)
            }
            let model = LlamaModel(weights: try LlamaWeights(source: gguf, naming: .gguf, config: config, linear: linear))
            let loadTime = clock.now - loadStart

            let positions = o.promptTokens + o.decodeTokens + 1
            let cache = model.makeCache(capacity: positions)
            let state = model.makeState(maxBatch: 64, maxPositions: positions)
            // A fixed, ordinary token sequence: speed does not depend on which ids are fed.
            let prompt = (0..<o.promptTokens).map { Int32(1000 + ($0 * 37) % 20000) }
            let prefillStart = clock.now
            var logits = try model.forward(tokens: prompt, cache: cache, state: state)
            let prefillTime = clock.now - prefillStart
            let decodeStart = clock.now
            for _ in 0..<o.decodeTokens {
                var best = 0
                for i in 1..<logits.count where logits[i] > logits[best] { best = i }
                logits = try model.forward(tokens: [Int32(best)], cache: cache, state: state)
            }
            let decodeTime = clock.now - decodeStart

            func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
            let kernel = o.weights == "int8" ? Int8Kernel.active.rawValue : "OpenBLAS sgemv/sgemm"
            print("model \(o.model), weights \(o.weights), head \(headWeights), kernel \(kernel), threads \(ThreadPool.shared.threadCount)")
            if let note = Int8Kernel.startup.note { print("note: \(note)") }
            print(String(format: "load %.2f s", seconds(loadTime)))
            print(String(format: "prefill %d tokens: %.1f tokens/s", o.promptTokens, Double(o.promptTokens) / seconds(prefillTime)))
            print(String(format: "decode %d tokens: %.1f tokens/s", o.decodeTokens, Double(o.decodeTokens) / seconds(decodeTime)))
            return 0
        } catch {
            FileHandle.standardError.write(Data("bench: \(error)\n".utf8))
            return 1
        }
    }
}
