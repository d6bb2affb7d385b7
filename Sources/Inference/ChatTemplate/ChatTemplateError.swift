// Everything that can go wrong reading or rendering a chat template, each saying where and what to do.

public enum ChatTemplateError: Error, CustomStringConvertible, Equatable {
    /// The template text is not valid Jinja (the position is 1-based, columns count characters).
    case syntax(line: Int, column: Int, message: String)
    /// The template itself refused the input by calling `raise_exception(message)`.
    case raised(message: String)
    /// Evaluating the template failed (an undefined value was used, a type mismatch, an unknown filter).
    case runtime(line: Int, message: String)
    /// A model file carries no usable chat template or special token.
    case missingMetadata(file: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .syntax(let line, let column, let message):
            return "chat template line \(line), column \(column): \(message); fix the template text"
        case .raised(let message):
            return "the chat template rejected the conversation: \(message)"
        case .runtime(let line, let message):
            return "chat template line \(line): \(message)"
        case .missingMetadata(let file, let key, let reason):
            return "\(file): \(key) \(reason); pass a chat template explicitly (ChatTemplate(source:))"
        }
    }
}
