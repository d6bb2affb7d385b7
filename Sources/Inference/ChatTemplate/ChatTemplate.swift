// The chat-template facade: parse a model's Jinja `chat_template` once, render conversations like transformers.

public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A parsed chat template. Rendering matches transformers' `apply_chat_template(..., tokenize=False)`:
/// jinja2 with trim_blocks and lstrip_blocks, its `tojson`, `raise_exception` and `strftime_now`,
/// and the context `messages`, `add_generation_prompt`, `bos_token`, `eos_token`, `tools`, `documents`.
public struct ChatTemplate: Sendable {
    public let source: String
    /// The special-token strings to pass when `render` is not given them (set from a GGUF file's vocabulary).
    public var defaultBOSToken: String
    public var defaultEOSToken: String
    private let nodes: [JinjaNode]
    /// Bounds on loops, macro nesting and output size; templates in model files are untrusted input.
    var limits = JinjaLimits()

    /// Parses `source`; a syntax error names its line and column.
    public init(source: String, bosToken: String = "", eosToken: String = "") throws(ChatTemplateError) {
        var lexer = JinjaLexer()
        var parser = JinjaParser(tokens: try lexer.tokenize(source))
        self.nodes = try parser.parseTemplate()
        self.source = source
        self.defaultBOSToken = bosToken
        self.defaultEOSToken = eosToken
    }

    /// Renders a conversation. `extraContext` adds template variables (e.g. `tools`, `date_string`,
    /// `enable_thinking`) and may override `tools`, `documents`, `bos_token` and `eos_token`, but not
    /// `messages` or `add_generation_prompt`. A `raise_exception` in the template throws `.raised(message:)`.
    public func render(
        messages: [ChatMessage],
        addGenerationPrompt: Bool,
        bosToken: String? = nil,
        eosToken: String? = nil,
        extraContext: [String: JinjaValue] = [:]
    ) throws(ChatTemplateError) -> String {
        let messageValues: [JinjaValue] = messages.map {
            .dictionary(JinjaDictionary([("role", .string($0.role)), ("content", .string($0.content))]))
        }
        return try render(messages: .array(messageValues), addGenerationPrompt: addGenerationPrompt,
                          bosToken: bosToken, eosToken: eosToken, extraContext: extraContext)
    }

    /// Renders messages given as template values (for messages with tool calls or content parts).
    public func render(
        messages: JinjaValue,
        addGenerationPrompt: Bool,
        bosToken: String? = nil,
        eosToken: String? = nil,
        extraContext: [String: JinjaValue] = [:]
    ) throws(ChatTemplateError) -> String {
        let root = JinjaScope(parent: nil)
        // transformers always passes tools and documents, as None when absent, so they are defined.
        root.set("tools", .none)
        root.set("documents", .none)
        root.set("bos_token", .string(bosToken ?? defaultBOSToken))
        root.set("eos_token", .string(eosToken ?? defaultEOSToken))
        for (name, value) in extraContext { root.set(name, value) }
        root.set("messages", messages)
        root.set("add_generation_prompt", .bool(addGenerationPrompt))
        return try JinjaInterpreter(limits: limits).render(nodes, scope: root)
    }
}
