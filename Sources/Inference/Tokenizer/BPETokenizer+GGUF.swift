// Building the tokenizer from GGUF metadata (llama.cpp's tokenizer.ggml.* keys).

extension BPETokenizer {
    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        try self.init(ggufMetadata: gguf.metadata, file: gguf.path)
    }

    /// From the metadata alone, so tests and tools can describe a vocabulary without writing a file.
    public convenience init(ggufMetadata metadata: [String: GGUFValue], file: String) throws(TokenizerError) {
        let reader = GGUFTokenizerMetadata(metadata: metadata, file: file)
        let model = try reader.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw .unsupportedModel(file: file, field: "tokenizer.ggml.model", value: model, supported: ["byte-level BPE (\"gpt2\")"])
        }
        let tokens = try reader.strings("tokenizer.ggml.tokens")
        var merges: [(left: String, right: String)] = []
        let mergeTexts = try reader.strings("tokenizer.ggml.merges")
        merges.reserveCapacity(mergeTexts.count)
        for (i, text) in mergeTexts.enumerated() {
            // Tokens never contain a plain space (the byte-level alphabet spells it "Ġ"), so one space separates the pair.
            let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .malformedMerge(file: file, index: i, merge: text) }
            merges.append((String(parts[0]), String(parts[1])))
        }
        var d = TokenizerDescription(file: file, tokens: tokens, merges: merges)
        if let types = try reader.optionalInts("tokenizer.ggml.token_type") {
            guard types.count == tokens.count else {
                throw .lengthMismatch(file: file, field: "tokenizer.ggml.token_type", count: types.count, expected: tokens.count)
            }
            // llama.cpp token types: 3 is CONTROL (special), 4 is USER_DEFINED (added but not special).
            for (i, type) in types.enumerated() where type == 3 || type == 4 {
                d.addedTokens.append(AddedToken(id: Int32(i), content: tokens[i], isSpecial: type == 3))
            }
        }
        d.preTokenizer = try Self.preTokenizerKind(ggufPre: reader.optionalString("tokenizer.ggml.pre"), file: file)
        // llama.cpp takes a Llama-3 piece whole when it is in the vocabulary, as the HF tokenizer's ignore_merges does.
        d.ignoreMerges = d.preTokenizer == .llama3
        d.bosID = try reader.optionalID("tokenizer.ggml.bos_token_id", vocabularySize: tokens.count)
        d.eosID = try reader.optionalID("tokenizer.ggml.eos_token_id", vocabularySize: tokens.count)
        d.padID = try reader.optionalID("tokenizer.ggml.padding_token_id", vocabularySize: tokens.count)
        d.unknownID = try reader.optionalID("tokenizer.ggml.unknown_token_id", vocabularySize: tokens.count)
        d.addsBOS = try reader.optionalBool("tokenizer.ggml.add_bos_token") ?? false
        try self.init(description: d)
    }

    /// llama.cpp's pre-type names, grouped by the split rules they share.
    public static func preTokenizerKind(ggufPre: String?, file: String) throws(TokenizerError) -> PreTokenizerKind {
        switch ggufPre {
        case nil, "gpt-2", "gpt2":
            return .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            return .smollm
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "smaug-bpe", "dbrx":
            return .llama3
        case let other?:
            throw .unsupportedPreTokenizer(file: file, field: "tokenizer.ggml.pre", value: "\"\(other)\"")
        }
    }
}

/// Typed reads of tokenizer keys that throw `TokenizerError` naming the key.
private struct GGUFTokenizerMetadata {
    let metadata: [String: GGUFValue]
    let file: String

    func string(_ key: String) throws(TokenizerError) -> String {
        guard let v = metadata[key] else { throw .missingField(file: file, field: key) }
        guard let s = v.stringValue else { throw .wrongFieldType(file: file, field: key, expected: "a string, not \(v.typeName)") }
        return s
    }

    func optionalString(_ key: String) throws(TokenizerError) -> String? {
        metadata[key] == nil ? nil : try string(key)
    }

    func strings(_ key: String) throws(TokenizerError) -> [String] {
        guard let v = metadata[key] else { throw .missingField(file: file, field: key) }
        guard let array = v.arrayValue else { throw .wrongFieldType(file: file, field: key, expected: "an array of strings, not \(v.typeName)") }
        var out: [String] = []
        out.reserveCapacity(array.count)
        for e in array {
            guard let s = e.stringValue else { throw .wrongFieldType(file: file, field: key, expected: "an array of strings, not of \(e.typeName)") }
            out.append(s)
        }
        return out
    }

    func optionalInts(_ key: String) throws(TokenizerError) -> [Int]? {
        guard let v = metadata[key] else { return nil }
        guard let array = v.arrayValue else { throw .wrongFieldType(file: file, field: key, expected: "an array of integers, not \(v.typeName)") }
        var out: [Int] = []
        out.reserveCapacity(array.count)
        for e in array {
            guard let i = e.intValue else { throw .wrongFieldType(file: file, field: key, expected: "an array of integers, not of \(e.typeName)") }
            out.append(i)
        }
        return out
    }

    func optionalID(_ key: String, vocabularySize: Int) throws(TokenizerError) -> Int32? {
        guard let v = metadata[key] else { return nil }
        guard let i = v.intValue else { throw .wrongFieldType(file: file, field: key, expected: "a token id, not \(v.typeName)") }
        guard i >= 0, i < vocabularySize else { throw .tokenIDOutOfRange(file: file, field: key, id: i, vocabularySize: vocabularySize) }
        return Int32(i)
    }

    func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let v = metadata[key] else { return nil }
        if let b = v.boolValue { return b }
        if let i = v.intValue { return i != 0 }
        throw .wrongFieldType(file: file, field: key, expected: "a boolean, not \(v.typeName)")
    }
}
