// Reading a chat template from a Hugging Face model folder (chat_template.jinja or tokenizer_config.json).
import Foundation

extension ChatTemplate {
    /// The folder's `chat_template.jinja` if present (newer transformers save it there), else the
    /// `chat_template` of `tokenizer_config.json`; bos/eos strings come from `tokenizer_config.json`.
    public init(huggingFaceFolder folder: String) throws {
        let configPath = folder + "/tokenizer_config.json"
        guard let configData = FileManager.default.contents(atPath: configPath) else {
            throw ChatTemplateError.missingMetadata(file: configPath, key: "the file", reason: "cannot be read")
        }
        let configText = String(decoding: configData, as: UTF8.self)
        let config: JinjaValue
        do { config = try JinjaValue(json: configText) } catch {
            throw ChatTemplateError.missingMetadata(file: configPath, key: "the file", reason: "is not valid JSON (\(error))")
        }
        guard case .dictionary(let fields) = config else {
            throw ChatTemplateError.missingMetadata(file: configPath, key: "the file", reason: "is not a JSON object")
        }
        let templatePath = folder + "/chat_template.jinja"
        let source: String
        if let data = FileManager.default.contents(atPath: templatePath) {
            source = String(decoding: data, as: UTF8.self)
        } else {
            source = try Self.templateSource(fields["chat_template"], file: configPath)
        }
        try self.init(source: source, bosToken: Self.tokenString(fields["bos_token"]), eosToken: Self.tokenString(fields["eos_token"]))
    }

    /// `chat_template` is a string, or a list of `{name, template}` of which "default" is the one used.
    private static func templateSource(_ value: JinjaValue?, file: String) throws(ChatTemplateError) -> String {
        switch value {
        case .string(let s)?:
            return s
        case .array(let named)?:
            for entry in named {
                if case .dictionary(let d) = entry, case .string("default")? = d["name"], case .string(let s)? = d["template"] { return s }
            }
            throw ChatTemplateError.missingMetadata(file: file, key: "chat_template", reason: "has no template named \"default\"")
        case nil, .none?:
            throw ChatTemplateError.missingMetadata(file: file, key: "chat_template", reason: "is missing")
        default:
            throw ChatTemplateError.missingMetadata(file: file, key: "chat_template", reason: "is \(value!.typeName), not a string")
        }
    }

    /// Special tokens are written either as strings or as AddedToken objects with a "content" field.
    private static func tokenString(_ value: JinjaValue?) -> String {
        switch value {
        case .string(let s)?: s
        case .dictionary(let d)?: d["content"].map(\.pythonString) ?? ""
        default: ""
        }
    }
}
