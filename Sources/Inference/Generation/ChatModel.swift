// A model ready to chat: weights, tokenizer, chat template and the tokens that end a turn, loaded from one path.
import Foundation

public final class ChatModel: Sendable {
    public let name: String
    public let model: LlamaModel
    public let tokenizer: BPETokenizer
    public let template: ChatTemplate
    public let endOfGenerationTokens: Set<Int32>
    public let loadSeconds: Double

    init(name: String, model: LlamaModel, tokenizer: BPETokenizer, template: ChatTemplate, loadSeconds: Double) {
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.loadSeconds = loadSeconds
        // EOS plus the special end-of-turn markers the vocabulary has: fine-tunes often end a turn with a marker
        // that is not the EOS token.
        endOfGenerationTokens = tokenizer.endOfTurnIDs
    }

    /// Loads a GGUF file or a Hugging Face folder. `linear` chooses the engine's weight format (f32 or int8).
    public static func load(path: String, linear: @escaping LlamaWeights.LinearBuilder = LlamaWeights.f32Linear) throws -> ChatModel {
        let clock = ContinuousClock()
        let start = clock.now
        let checkpoint = try ModelCheckpoint.open(path: path)
        let weights = try checkpoint.loadWeights(linear: linear)
        let (tokenizer, template) = try tokenizerAndTemplate(of: checkpoint)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return ChatModel(name: name, model: LlamaModel(weights: weights), tokenizer: tokenizer, template: template,
                         loadSeconds: (clock.now - start).seconds)
    }

    /// A model whose weights were made elsewhere (a merge) and whose tokenizer and template are the checkpoint's at
    /// `tokenizerPath` (the family base).
    public static func assemble(name: String, weights: LlamaWeights, tokenizerPath: String, loadSeconds: Double) throws -> ChatModel {
        let (tokenizer, template) = try tokenizerAndTemplate(of: try ModelCheckpoint.open(path: tokenizerPath))
        return ChatModel(name: name, model: LlamaModel(weights: weights), tokenizer: tokenizer, template: template,
                         loadSeconds: loadSeconds)
    }

    static func tokenizerAndTemplate(of checkpoint: ModelCheckpoint) throws -> (BPETokenizer, ChatTemplate) {
        if let gguf = checkpoint.gguf {
            return (try BPETokenizer(gguf: gguf), try ChatTemplate(gguf: gguf))
        }
        guard let hf = checkpoint.huggingFace, let tokenizerPath = hf.tokenizerPath else {
            throw ChatModelError.missingTokenizer(folder: checkpoint.path)
        }
        guard hf.chatTemplate != nil else { throw ChatModelError.missingChatTemplate(folder: hf.folder) }
        return (try BPETokenizer(tokenizerJSONFile: tokenizerPath), try ChatTemplate(huggingFaceFolder: hf.folder))
    }

    /// The conversation rendered by the model's own template, ending with the assistant's turn opened, as token ids.
    public func promptTokens(for messages: [ChatMessage]) throws -> [Int32] {
        // The template knows its model's BOS/EOS strings (from the GGUF or tokenizer_config.json).
        let text = try template.render(messages: messages, addGenerationPrompt: true)
        // Special tokens in the rendered template are markup; the tokenizer matches them before BPE.
        return tokenizer.encode(text, addBOS: false, parseSpecial: true)
    }
}

public enum ChatModelError: Error, CustomStringConvertible, Equatable {
    case missingTokenizer(folder: String)
    case missingChatTemplate(folder: String)

    public var description: String {
        switch self {
        case .missingTokenizer(let f): return "\(f): no tokenizer.json; a chat model needs its tokenizer next to the weights"
        case .missingChatTemplate(let f):
            return "\(f): no chat template (tokenizer_config.json \"chat_template\" or chat_template.jinja); chat needs the model's own template"
        }
    }
}
