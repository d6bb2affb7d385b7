// Building the tokenizer from a Hugging Face tokenizer.json (plus tokenizer_config.json for BOS/EOS when given).
import Foundation

extension BPETokenizer {
    /// `tokenizerConfigJSON` (tokenizer_config.json) supplies bos/eos/pad/unk and add_bos_token, which tokenizer.json lacks.
    public convenience init(tokenizerJSON data: Data, file: String, tokenizerConfigJSON: Data? = nil) throws(TokenizerError) {
        let root = try TokenizerJSONObject.parse(data, file: file)
        let model = try root.object("model")
        let type = try model.optionalString("type") ?? "BPE"
        guard type == "BPE" else {
            throw .unsupportedModel(file: file, field: "model.type", value: type, supported: ["BPE"])
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = try model.optionalString(key), !affix.isEmpty {
                throw .unsupportedStage(file: file, field: "model.\(key)", value: "\"\(affix)\"")
            }
        }
        if try model.optionalBool("byte_fallback") == true {
            throw .unsupportedStage(file: file, field: "model.byte_fallback", value: "true (SentencePiece-style vocabularies are not supported yet)")
        }

        let vocab = try model.object("vocab")
        var tokens: [String?] = []
        for (token, value) in vocab.dictionary {
            guard let id = TokenizerJSONObject.integer(value), id >= 0, id < Int(Int32.max) else {
                throw .wrongFieldType(file: file, field: "model.vocab[\"\(token)\"]", expected: "a non-negative integer id")
            }
            if id >= tokens.count { tokens += [String?](repeating: nil, count: id + 1 - tokens.count) }
            tokens[id] = token
        }

        var merges: [(left: String, right: String)] = []
        let mergeList = try model.array("merges")
        merges.reserveCapacity(mergeList.count)
        for (i, entry) in mergeList.enumerated() {
            // Older files write "a b"; tokenizers 0.20 and later write ["a", "b"], which allows spaces inside tokens.
            if let text = entry as? String {
                let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .malformedMerge(file: file, index: i, merge: text) }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = entry as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
            } else {
                throw .wrongFieldType(file: file, field: "model.merges[\(i)]", expected: "a string \"a b\" or a pair [\"a\", \"b\"]")
            }
        }

        var d = TokenizerDescription(file: file, tokens: tokens, merges: merges)
        d.ignoreMerges = try model.optionalBool("ignore_merges") ?? false
        if let unknown = try model.optionalString("unk_token") {
            guard let id = vocab.dictionary[unknown].flatMap(TokenizerJSONObject.integer) else {
                throw .wrongFieldType(file: file, field: "model.unk_token", expected: "a token of model.vocab, not \"\(unknown)\"")
            }
            d.unknownID = Int32(id)
            d.unknownForMissingBytes = true
        }
        d.addedTokens = try Self.addedTokens(root)
        try Self.checkNoNormalizer(root)
        (d.preTokenizer, d.addPrefixSpace) = try Self.preTokenizer(root)
        try Self.checkByteLevelDecoder(root)
        if let (bos, content) = try Self.templateBOS(root) {
            d.addsBOS = true
            let vocabID = vocab.dictionary[content].flatMap(TokenizerJSONObject.integer).map(Int32.init)
            d.bosID = bos ?? d.addedTokens.first { $0.content == content }?.id ?? vocabID
        }
        if let configData = tokenizerConfigJSON {
            try Self.applyTokenizerConfig(configData, file: file, to: &d)
        }
        try self.init(description: d)
    }

    /// Reads tokenizer.json, and tokenizer_config.json from the same folder when it exists.
    public convenience init(tokenizerJSONFile path: String) throws(TokenizerError) {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .cannotRead(file: path, reason: error.localizedDescription) }
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        let config = try? Data(contentsOf: configURL)
        try self.init(tokenizerJSON: data, file: path, tokenizerConfigJSON: config)
    }

    private static func addedTokens(_ root: TokenizerJSONObject) throws(TokenizerError) -> [AddedToken] {
        guard let list = try root.optionalArray("added_tokens") else { return [] }
        var out: [AddedToken] = []
        for i in list.indices {
            let entry = try root.element(of: list, at: i, field: "added_tokens")
            let id = try entry.int("id")
            let content = try entry.string("content")
            // Stripping neighbours or whole-word-only matching would change ids; refuse rather than ignore them.
            for flag in ["lstrip", "rstrip", "single_word"] where try entry.optionalBool(flag) == true {
                throw .unsupportedStage(file: root.file, field: "added_tokens[\(i)].\(flag)", value: "true")
            }
            guard let id32 = Int32(exactly: id), id32 >= 0 else {
                throw .tokenIDOutOfRange(file: root.file, field: "added_tokens[\(i)].id", id: id, vocabularySize: Int(Int32.max))
            }
            out.append(AddedToken(id: id32, content: content, isSpecial: try entry.optionalBool("special") ?? false))
        }
        return out
    }

    private static func checkNoNormalizer(_ root: TokenizerJSONObject) throws(TokenizerError) {
        guard let normalizer = try root.optionalObject("normalizer") else { return }
        throw .unsupportedStage(file: root.file, field: "normalizer", value: (try? normalizer.string("type")) ?? "an object")
    }

    private static func checkByteLevelDecoder(_ root: TokenizerJSONObject) throws(TokenizerError) {
        let decoder = try root.object("decoder")
        let type = try decoder.string("type")
        guard type == "ByteLevel" else { throw .unsupportedStage(file: root.file, field: "decoder.type", value: type) }
    }

    /// Maps the pre_tokenizer tree onto a kind we implement, refusing anything else by its field path.
    private static func preTokenizer(_ root: TokenizerJSONObject) throws(TokenizerError) -> (PreTokenizerKind, Bool) {
        let pre = try root.object("pre_tokenizer")
        let stages: [TokenizerJSONObject]
        let type = try pre.string("type")
        if type == "Sequence" {
            let list = try pre.array("pretokenizers")
            stages = try list.indices.map { i throws(TokenizerError) in try pre.element(of: list, at: i, field: "pretokenizers") }
        } else {
            stages = [pre]
        }
        let types = try stages.map { s throws(TokenizerError) in try s.string("type") }
        let summary = "[" + types.joined(separator: ", ") + "]"
        func byteLevel(_ s: TokenizerJSONObject, useRegex: Bool) throws(TokenizerError) -> Bool {
            guard try (s.optionalBool("use_regex") ?? true) == useRegex else {
                throw .unsupportedPreTokenizer(file: root.file, field: "\(s.path).use_regex", value: "\(!useRegex) in \(summary)")
            }
            return try s.optionalBool("add_prefix_space") ?? true
        }
        switch types {
        case ["ByteLevel"]:
            return (.gpt2, try byteLevel(stages[0], useRegex: true))
        case ["Digits", "ByteLevel"]:
            guard try stages[0].optionalBool("individual_digits") == true else {
                throw .unsupportedPreTokenizer(file: root.file, field: "\(stages[0].path).individual_digits", value: "false")
            }
            return (.smollm, try byteLevel(stages[1], useRegex: true))
        case ["Split", "ByteLevel"]:
            // Llama-3 and similar write their regex in a Split stage; only regexes we have a scanner for are accepted.
            let split = stages[0]
            let pattern = try split.object("pattern")
            let regex = try pattern.optionalString("Regex") ?? "(none)"
            guard regex == PreTokenizerKind.llama3Pattern else {
                throw .unsupportedPreTokenizer(file: root.file, field: "\(pattern.path).Regex", value: "\"\(regex)\"")
            }
            let behavior = try split.optionalString("behavior") ?? "Isolated"
            guard behavior == "Isolated", try split.optionalBool("invert") != true else {
                throw .unsupportedPreTokenizer(file: root.file, field: "\(split.path).behavior", value: "\(behavior) (Isolated, not inverted, is supported)")
            }
            return (.llama3, try byteLevel(stages[1], useRegex: false))
        default:
            throw .unsupportedPreTokenizer(file: root.file, field: "pre_tokenizer", value: summary)
        }
    }

    /// A TemplateProcessing post-processor whose single-sequence template starts with a special token adds BOS.
    private static func templateBOS(_ root: TokenizerJSONObject) throws(TokenizerError) -> (Int32?, String)? {
        guard let post = try root.optionalObject("post_processor"), try post.string("type") == "TemplateProcessing",
              let single = try post.optionalArray("single"), let first = single.first as? [String: Any],
              let specialToken = first["SpecialToken"] as? [String: Any], let name = specialToken["id"] as? String
        else { return nil }
        let specials = (try post.optionalObject("special_tokens"))?.dictionary
        let ids = (specials?[name] as? [String: Any])?["ids"] as? [NSNumber]
        return (ids?.first.map { Int32($0.intValue) }, name)
    }

    private static func applyTokenizerConfig(_ data: Data, file: String, to d: inout TokenizerDescription) throws(TokenizerError) {
        let configFile = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("tokenizer_config.json").path
        let config = try TokenizerJSONObject.parse(data, file: configFile)
        var lookup: [String: Int32] = [:]
        for (i, t) in d.tokens.enumerated() { if let t, lookup[t] == nil { lookup[t] = Int32(i) } }
        for a in d.addedTokens { lookup[a.content] = a.id }
        func id(_ key: String) throws(TokenizerError) -> Int32? {
            guard let value = config.dictionary[key], !(value is NSNull) else { return nil }
            // Either "<|im_end|>" or an AddedToken object {"content": "<|im_end|>", ...}.
            guard let content = value as? String ?? (value as? [String: Any])?["content"] as? String else {
                throw .wrongFieldType(file: configFile, field: key, expected: "a token string or an object with \"content\"")
            }
            guard let id = lookup[content] else {
                throw .wrongFieldType(file: configFile, field: key, expected: "a token of the vocabulary, not \"\(content)\"")
            }
            return id
        }
        d.bosID = try id("bos_token") ?? d.bosID
        d.eosID = try id("eos_token") ?? d.eosID
        d.padID = try id("pad_token") ?? d.padID
        d.unknownID = try id("unk_token") ?? d.unknownID
        if let add = try config.optionalBool("add_bos_token") { d.addsBOS = add }
    }
}
