// The Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// generation_config.json) written from a GGUF's tokenizer.ggml.* metadata, so an export of a GGUF base loads in
// transformers with the ids llama.cpp and MergeGuard give.
import Foundation
import Inference

enum HFTokenizerFiles {
    /// File name and contents, for a byte-level BPE ("gpt2") GGUF tokenizer with a pre-type we implement.
    static func fromGGUF(_ gguf: GGUFFile) throws -> [(name: String, data: Data)] {
        // Building our tokenizer validates every field first, with errors that name the key.
        _ = try BPETokenizer(gguf: gguf)
        let m = gguf.metadata
        let tokens = m["tokenizer.ggml.tokens"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let merges = m["tokenizer.ggml.merges"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let types = m["tokenizer.ggml.token_type"]?.arrayValue?.compactMap(\.intValue)
        let pre = try BPETokenizer.preTokenizerKind(ggufPre: m["tokenizer.ggml.pre"]?.stringValue, file: gguf.path)
        func id(_ key: String) -> Int? { m[key]?.intValue.flatMap { tokens.indices.contains($0) ? $0 : nil } }
        let bos = id("tokenizer.ggml.bos_token_id"), eos = id("tokenizer.ggml.eos_token_id")
        let pad = id("tokenizer.ggml.padding_token_id"), unk = id("tokenizer.ggml.unknown_token_id")
        let addsBOS = m["tokenizer.ggml.add_bos_token"].flatMap { $0.boolValue ?? $0.intValue.map { $0 != 0 } } ?? false

        let q = SafetensorsWriter.quoted
        // llama.cpp token types: 3 is CONTROL (special), 4 is USER_DEFINED (added, not special).
        var added: [String] = []
        for (i, type) in (types ?? []).enumerated() where (type == 3 || type == 4) && i < tokens.count {
            added.append("{\"id\":\(i),\"content\":\(q(tokens[i])),\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                         + "\"normalized\":false,\"special\":\(type == 3)}")
        }
        let byteLevel = { (useRegex: Bool) in
            "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":\(useRegex)}"
        }
        let preTokenizer: String
        switch pre {
        case .gpt2: preTokenizer = byteLevel(true)
        case .smollm:
            preTokenizer = "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":true},\(byteLevel(true))]}"
        case .llama3:
            preTokenizer = "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
                + "\(q(PreTokenizerKind.llama3Pattern))},\"behavior\":\"Isolated\",\"invert\":false},\(byteLevel(false))]}"
        case .sentencePiece:
            throw TokenizerError.unsupportedPreTokenizer(file: gguf.path, field: "tokenizer.ggml.pre", value: "sentencepiece")
        }
        let postProcessor: String
        if addsBOS, let bos {
            let b = q(tokens[bos])
            postProcessor = "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\(b),\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[{\"SpecialToken\":{\"id\":\(b),\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\(b),\"type_id\":1}},"
                + "{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],\"special_tokens\":{\(b):{\"id\":\(b),\"ids\":[\(bos)],\"tokens\":[\(b)]}}}"
        } else {
            postProcessor = "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":false,\"use_regex\":true}"
        }
        let vocab = tokens.enumerated().map { "\(q($1)):\($0)" }.joined(separator: ",")
        let mergeList = merges.map { text -> String in
            let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            return "[\(q(String(parts[0]))),\(q(String(parts[1])))]"
        }.joined(separator: ",\n")
        let tokenizerJSON = """
        {"version":"1.0","truncation":null,"padding":null,"added_tokens":[\(added.joined(separator: ",\n"))],
        "normalizer":null,"pre_tokenizer":\(preTokenizer),"post_processor":\(postProcessor),
        "decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
        "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,
        "fuse_unk":false,"byte_fallback":false,"ignore_merges":\(pre == .llama3),
        "vocab":{\(vocab)},
        "merges":[\(mergeList)]}}

        """

        var special: [(String, String)] = []
        for (key, value) in [("bos_token", bos), ("eos_token", eos), ("unk_token", unk), ("pad_token", pad)] {
            if let value { special.append((key, q(tokens[value]))) }
        }
        var config = special
        config.append(("add_bos_token", addsBOS ? "true" : "false"))
        config.append(("add_eos_token", "false"))
        config.append(("clean_up_tokenization_spaces", "false"))
        let architecture = m["general.architecture"]?.stringValue ?? "llama"
        if let context = m["\(architecture).context_length"]?.intValue { config.append(("model_max_length", "\(context)")) }
        config.append(("tokenizer_class", "\"PreTrainedTokenizerFast\""))
        if let template = m["tokenizer.chat_template"]?.stringValue { config.append(("chat_template", q(template))) }
        var generation: [(String, String)] = []
        if let bos { generation.append(("bos_token_id", "\(bos)")) }
        if let eos { generation.append(("eos_token_id", "\(eos)")) }
        if let pad { generation.append(("pad_token_id", "\(pad)")) }

        func object(_ fields: [(String, String)]) -> Data {
            Data(("{\n" + fields.map { "  \(q($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n").utf8)
        }
        return [("tokenizer.json", Data(tokenizerJSON.utf8)), ("tokenizer_config.json", object(config)),
                ("special_tokens_map.json", object(special)), ("generation_config.json", object(generation))]
    }
}
