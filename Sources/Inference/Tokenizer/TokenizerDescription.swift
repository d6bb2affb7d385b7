// What the GGUF and tokenizer.json readers extract: a plain description that BPETokenizer validates and compiles.

struct TokenizerDescription {
    let file: String
    /// Token spellings by id (byte-level alphabet for ordinary tokens, plain text for added ones); nil marks an unused id.
    var tokens: [String?]
    /// In rank order (the first merge is applied first).
    var merges: [(left: String, right: String)]
    var addedTokens: [AddedToken] = []
    var preTokenizer: PreTokenizerKind = .gpt2
    var addPrefixSpace = false
    var ignoreMerges = false
    var bosID: Int32?
    var eosID: Int32?
    var padID: Int32?
    var unknownID: Int32?
    /// tokenizer.json's model.unk_token: bytes without a token become it. GGUF files name an unknown token for other
    /// uses, so theirs leaves such bytes dropped, matching the reference built from the same file.
    var unknownForMissingBytes = false
    var addsBOS = false
}
