// `mergeguard serve`: the OpenAI-compatible server for the models in models.json.
import API
import Foundation
import Inference

struct ServeCommand {
    static let usage = """
    usage: mergeguard serve [--config models.json] [--host HOST] [--port PORT] [options]

      --config PATH     the model registry (default: models.json)
      --host HOST       listen address (default: the registry's server.host, else 127.0.0.1)
      --port N          listen port (default: the registry's server.port, else 8080; 0 = any free port)
      --ctx-size N      context per sequence (default 4096)
      --parallel N      sequences decoded together per model (default 16)
      --queue N         requests that may wait per model before 429 (default 64)
      --no-preload      do not load the first model at start-up
    API keys: the registry's server.api_keys plus MERGEGUARD_API_KEYS (comma-separated); none = open API.
    """

    let options: CommandLineOptions

    init(arguments: ArraySlice<String>) throws {
        options = try CommandLineOptions(arguments, command: "serve",
                                         valued: ["--config", "--host", "--port", "--ctx-size", "--parallel", "--queue"],
                                         switches: ["--no-preload", "--help"])
    }

    func run() throws {
        if options.has("--help") { print(Self.usage); return }
        let registry = try ModelRegistry.load(path: options.string("--config") ?? "models.json")
        var engine = BatchEngineConfiguration()
        if let n = try options.int("--ctx-size") { engine.contextLength = n }
        if let n = try options.int("--parallel") { engine.maxRunningSequences = n }
        if let n = try options.int("--queue") { engine.queueCapacity = n }
        let loader = try ServingFormat.loader(registry: registry, engine: engine)
        let keys = (ProcessInfo.processInfo.environment["MERGEGUARD_API_KEYS"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let server = MergeGuardServer(registry: registry, loader: loader.load, host: options.string("--host"),
                                      port: try options.int("--port"), apiKeys: keys)
        try server.start(preload: !options.has("--no-preload"))
        let host = options.string("--host") ?? registry.server.host
        log("mergeguard \(InferenceVersion.string) serving \(registry.modelOrder.joined(separator: ", ")) on http://\(host):\(server.boundPort ?? 0)/v1")

        // Stop cleanly on Ctrl-C or SIGTERM: close connections and engines, then exit.
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        log("stopping")
        server.stop()
    }

    private func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
