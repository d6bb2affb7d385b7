// `mergeguard chat`: an interactive terminal chat (or one shot with --prompt) that streams the answer as it is made.
import Foundation
import Inference

struct ChatCommand {
    static let usage = """
    usage: mergeguard chat --model PATH [--prompt TEXT] [options]

      --model PATH              a GGUF file or a Hugging Face folder (config.json + safetensors + tokenizer.json)
      --prompt TEXT             answer one message and exit (otherwise: interactive; /reset starts over, /quit leaves)
      --system TEXT             system prompt (default: the chat template's own)
      --temperature, --temp X   0 = greedy (default 0.8)
      --top-k N                 (default 40; 0 = off)
      --top-p X                 (default 0.95; 1 = off)
      --min-p X                 (default 0.05; 0 = off)
      --repeat-penalty X        (default 1 = off)   --repeat-last-n N (default 64)
      --presence-penalty X      (default 0)         --frequency-penalty X (default 0)
      --seed N                  same seed, same text
      --max-tokens, -n N        at most N tokens per answer
      --stop TEXT               stop string, repeatable
      --ctx-size N              context length (default 4096)
      --weights int8|f32        weight format (default int8, as served; f32 is the reference path)
      --verbose                 print load time and tokens/s after each answer
    """

    static let valued: Set<String> = ["--model", "--prompt", "--system", "--temperature", "--temp", "--top-k", "--top-p",
                                      "--min-p", "--repeat-penalty", "--repeat-last-n", "--presence-penalty",
                                      "--frequency-penalty", "--seed", "--max-tokens", "-n", "--stop", "--ctx-size", "--weights"]

    let options: CommandLineOptions

    init(arguments: ArraySlice<String>) throws {
        // `-n 32` is the one short option (llama.cpp's); treat it as --max-tokens.
        let normalized = arguments.map { $0 == "-n" ? "--max-tokens" : $0 }
        options = try CommandLineOptions(normalized[...], command: "chat", valued: Self.valued, switches: ["--verbose", "--help"])
    }

    func samplingParameters() throws -> SamplingParameters {
        var p = SamplingParameters()
        if let v = try options.float("--temperature") ?? options.float("--temp") { p.temperature = v }
        if let v = try options.int("--top-k") { p.topK = v }
        if let v = try options.float("--top-p") { p.topP = v }
        if let v = try options.float("--min-p") { p.minP = v }
        if let v = try options.float("--repeat-penalty") { p.repetitionPenalty = v }
        if let v = try options.int("--repeat-last-n") { p.penaltyLastN = v }
        if let v = try options.float("--presence-penalty") { p.presencePenalty = v }
        if let v = try options.float("--frequency-penalty") { p.frequencyPenalty = v }
        if let v = try options.uint64("--seed") { p.seed = v }
        if let v = try options.int("--max-tokens") { p.maxTokens = v }
        p.stop = options.strings("--stop")
        try p.validate()
        return p
    }

    func run() throws {
        if options.has("--help") { print(Self.usage); return }
        guard let path = options.string("--model") else { throw CommandLineError.missingValue("--model") }
        let parameters = try samplingParameters()
        let verbose = options.has("--verbose")
        let contextLength = try options.int("--ctx-size") ?? 4096
        guard contextLength > 1 else { throw CommandLineError.invalidValue(option: "--ctx-size", value: "\(contextLength)", expected: "at least 2") }

        let weights = options.string("--weights") ?? "int8"
        guard weights == "int8" || weights == "f32" else {
            throw CommandLineError.invalidValue(option: "--weights", value: weights, expected: "int8 or f32")
        }
        let chat = try ChatModel.load(path: path, linear: weights == "int8" ? ServingFormat.linear : LlamaWeights.f32Linear)
        if verbose { note(String(format: "loaded %@ in %.2f s", chat.name, chat.loadSeconds)) }
        let sequence = SequenceState(model: chat.model, contextLength: contextLength)
        let generator = TextGenerator(model: chat.model, tokenizer: chat.tokenizer,
                                      endOfGenerationTokens: chat.endOfGenerationTokens)
        var messages: [ChatMessage] = []
        if let system = options.string("--system") { messages.append(ChatMessage(role: "system", content: system)) }
        let initialMessages = messages

        func answer(_ text: String) throws {
            messages.append(ChatMessage(role: "user", content: text))
            let prompt = try chat.promptTokens(for: messages)
            let result = try generator.generate(prompt: prompt, in: sequence, parameters: parameters) { piece in
                FileHandle.standardOutput.write(Data(piece.utf8))
                return true
            }
            // Pieces go out unbuffered as they come; the line end must too, or it lands after later output.
            FileHandle.standardOutput.write(Data("\n".utf8))
            messages.append(ChatMessage(role: "assistant", content: result.text))
            if verbose {
                note(String(format: "prompt %d tokens (%d cached) %.1f tok/s · answer %d tokens %.1f tok/s · %@",
                            result.promptTokenCount, result.cachedPromptTokenCount, result.prefillTokensPerSecond,
                            result.completionTokenCount, result.decodeTokensPerSecond, result.finishReason.rawValue))
            }
        }

        if let prompt = options.string("--prompt") {
            try answer(prompt)
            return
        }
        let interactive = isatty(STDIN_FILENO) != 0
        while true {
            if interactive { FileHandle.standardError.write(Data("> ".utf8)) }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if text == "/quit" || text == "/exit" { break }
            if text == "/reset" { messages = initialMessages; sequence.reset(); continue }
            do {
                try answer(text)
            } catch let error as GenerationError {
                // A conversation that outgrew the context: say so and keep the chat alive.
                messages.removeLast()
                note("error: \(error) — type /reset to start over")
            }
        }
    }

    private func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
