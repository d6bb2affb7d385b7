// `mergeguard merge`: writes the merged model a models.json entry is served as, for other tools to load
// (an HF folder for transformers, or a GGUF for llama.cpp).
import API
import Foundation
import Merge

struct MergeCommand {
    static let usage = """
    usage: mergeguard merge --config models.json --model ID --out PATH [--dtype f32|bf16] [--gguf] [--no-cache] [--fsync]

      --out PATH        an HF folder (model.safetensors + config.json + the base's tokenizer files), or with --gguf
                        a GGUF file (f32, the base GGUF's metadata and tokenizer)
      --dtype f32|bf16  safetensors precision (default f32)
      --no-cache        merge even when the registry's cache_dir holds this merge, and do not store it there
      --fsync           make PATH durable before it appears (fsync the files and folders): it then survives a power
                        cut too, at the cost of waiting for the disk (the kernel writes it back later otherwise)

    PATH appears only once it is complete: a run that is killed leaves at most a hidden .NAME.partial-PID next to
    it (deleted by the next run). The merged tensors are cached under server.cache_dir like merge-on-load's (cache
    entries are always fsync'd: the server trusts them).
    """

    let options: CommandLineOptions

    init(arguments: ArraySlice<String>) throws {
        options = try CommandLineOptions(arguments, command: "merge", valued: ["--config", "--model", "--out", "--dtype"],
                                         switches: ["--gguf", "--no-cache", "--fsync", "--help"])
    }

    func run() throws {
        if options.has("--help") { print(Self.usage); return }
        guard let id = options.string("--model") else { throw CommandLineError.missingValue("--model") }
        guard let out = options.string("--out") else { throw CommandLineError.missingValue("--out") }
        let dtypeName = options.string("--dtype") ?? "f32"
        guard let dtype = MergeOutputDType(rawValue: dtypeName) else {
            throw CommandLineError.invalidValue(option: "--dtype", value: dtypeName, expected: "f32 or bf16")
        }
        let registry = try ModelRegistry.load(path: options.string("--config") ?? "models.json")
        guard let spec = registry.models[id] else {
            throw CommandLineError.invalidValue(option: "--model", value: id, expected: "one of \(registry.modelOrder.joined(separator: ", "))")
        }
        let loader = try ModelLoader(registry: registry, useCache: false)
        guard let plan = try loader.plan(for: spec) else {
            throw CommandLineError.invalidValue(option: "--model", value: id,
                                                expected: "a model that is merged (this one is trusted and served as it is)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let engine = try MergeEngine(plan: plan)
        let cache = options.has("--no-cache") ? nil : try MergeCache(directory: registry.server.cacheDirectory)
        let progress: MergeProgressHandler = { p in ServingFormat.progress(id, p) }
        let report: MergeExport.Report
        if options.has("--gguf") {
            report = try MergeExport.writeGGUF(engine: engine, to: out, cache: cache, durable: options.has("--fsync"),
                                               progress: progress)
        } else {
            report = try MergeExport.writeHF(engine: engine, to: out, dtype: dtype, cache: cache,
                                             durable: options.has("--fsync"), progress: progress)
        }
        if let missing = report.missingTokenizer { note("note: \(missing)") }
        switch report.cache {
        case .disabled: break
        case .hit(let path): note("merge cache: read \(path)")
        case .stored(let path): note("merge cache: stored \(path)")
        case .rebuilt(let path, let reason): note("merge cache: rebuilt \(path) (\(reason))")
        case .writeFailed(let reason): note("merge cache: not stored (\(reason))")
        }
        note(String(format: "wrote %@ (%@ of %d models over their base) in %.1f s", out, plan.method, plan.models.count, (clock.now - start).seconds))
    }

    private func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
