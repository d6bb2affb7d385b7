// Reading a model's chat template and its bos/eos token strings from GGUF metadata.

extension ChatTemplate {
    /// The template in `tokenizer.chat_template`, with the bos/eos strings looked up in `tokenizer.ggml.tokens`
    /// by `tokenizer.ggml.bos_token_id` / `eos_token_id` as render defaults (empty when the file has no such id).
    public init(gguf: GGUFFile) throws {
        let key = "tokenizer.chat_template"
        guard let value = gguf.metadata[key] else {
            throw ChatTemplateError.missingMetadata(file: gguf.path, key: key, reason: "is missing")
        }
        guard let source = value.stringValue else {
            throw ChatTemplateError.missingMetadata(file: gguf.path, key: key, reason: "is \(value.typeName), not a string")
        }
        let tokens = gguf.metadata["tokenizer.ggml.tokens"] == nil ? [] : try gguf.stringArray("tokenizer.ggml.tokens")
        func token(_ idKey: String) throws -> String {
            guard gguf.metadata[idKey] != nil else { return "" }
            let id = try gguf.int(idKey)
            guard id >= 0, id < tokens.count else {
                throw ChatTemplateError.missingMetadata(file: gguf.path, key: idKey,
                                                        reason: "is \(id), outside the vocabulary of \(tokens.count) tokens")
            }
            return tokens[id]
        }
        try self.init(source: source, bosToken: try token("tokenizer.ggml.bos_token_id"), eosToken: try token("tokenizer.ggml.eos_token_id"))
    }
}
