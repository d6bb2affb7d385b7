// A byte-level BPE tokenizer (GPT-2 family, e.g. SmolLM2): added tokens, then the pre-tokenizer, then merges per piece.
import Synchronization

public final class BPETokenizer: Sendable {
    public let vocabSize: Int
    public let bosID: Int32?
    public let eosID: Int32?
    public let padID: Int32?
    public let unknownID: Int32?
    /// Whether `encode` puts BOS first when the caller does not say (tokenizer.ggml.add_bos_token / the post-processor).
    public let addsBOSByDefault: Bool
    /// Tokens that end a model's turn: EOS plus the chat-format enders the vocabulary has as special tokens.
    public let endOfTurnIDs: Set<Int32>
    public let preTokenizerKind: PreTokenizerKind
    public let addedTokens: [AddedToken]

    private let tokens: [String?]
    private let ids: [String: Int32]
    /// The bytes each id decodes to, precomputed so decoding is a table walk.
    private let tokenBytes: [[UInt8]]
    private let special: [Bool]
    private let model: BPEModel
    private let preTokenizer: PreTokenizer
    private let matcher: AddedTokenMatcher
    /// Piece bytes -> ids. Words repeat a lot in real text, and BPE on a word costs far more than a lookup.
    private let cache = Mutex<[[UInt8]: [Int32]]>([:])
    private static let cacheLimit = 100_000
    private static let cachedPieceLength = 64

    /// Names of end-of-turn tokens across chat formats (ChatML, Llama-3, Gemma, Phi-3), used when they are special.
    private static let endOfTurnNames = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<end_of_turn>",
                                         "<|endoftext|>", "<|end_of_text|>"]

    init(description d: TokenizerDescription) throws(TokenizerError) {
        guard d.preTokenizer.isImplemented else {
            throw .unsupportedPreTokenizer(file: d.file, field: "kind", value: d.preTokenizer.rawValue)
        }
        if d.addPrefixSpace && d.preTokenizer != .gpt2 {
            throw .unsupportedStage(file: d.file, field: "pre_tokenizer.add_prefix_space", value: "true together with Digits")
        }
        var tokens = d.tokens
        for added in d.addedTokens {
            let i = Int(added.id)
            guard i >= 0 else { throw .tokenIDOutOfRange(file: d.file, field: "added token \"\(added.content)\"", id: i, vocabularySize: tokens.count) }
            if i >= tokens.count { tokens += [String?](repeating: nil, count: i + 1 - tokens.count) }
            tokens[i] = added.content
        }
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            // Keep the first id of a duplicated spelling so lookups are stable.
            if let t, ids[t] == nil { ids[t] = Int32(i) }
        }
        for (field, id) in [("bos", d.bosID), ("eos", d.eosID), ("padding", d.padID), ("unknown", d.unknownID)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw .tokenIDOutOfRange(file: d.file, field: "the \(field) token id", id: Int(id), vocabularySize: tokens.count)
            }
        }

        let byteTokenIDs = (0..<256).map { ids[String(ByteLevelAlphabet.scalarForByte[$0])] ?? -1 }
        // A few bytes may lack a token, but a vocabulary missing printable ASCII is not byte-level at all.
        for b in 0x21..<0x7F where byteTokenIDs[b] < 0 {
            throw .missingByteToken(file: d.file, byte: UInt8(b), token: String(ByteLevelAlphabet.scalarForByte[b]))
        }
        var merges: [UInt64: BPEModel.Merge] = [:]
        merges.reserveCapacity(d.merges.count)
        for (rank, m) in d.merges.enumerated() {
            let text = m.left + " " + m.right
            guard let left = ids[m.left] else { throw .unknownMergeToken(file: d.file, index: rank, merge: text, token: m.left) }
            guard let right = ids[m.right] else { throw .unknownMergeToken(file: d.file, index: rank, merge: text, token: m.right) }
            guard let result = ids[m.left + m.right] else { throw .mergeResultNotInVocabulary(file: d.file, index: rank, merge: text) }
            let key = BPEModel.key(left, right)
            if merges[key] == nil { merges[key] = BPEModel.Merge(rank: Int32(rank), result: result) }
        }

        var special = [Bool](repeating: false, count: tokens.count)
        for a in d.addedTokens where a.isSpecial { special[Int(a.id)] = true }
        var endOfTurn = Set(d.eosID.map { [$0] } ?? [])
        for name in Self.endOfTurnNames {
            if let id = ids[name], special[Int(id)] { endOfTurn.insert(id) }
        }

        self.vocabSize = tokens.count
        self.bosID = d.bosID
        self.eosID = d.eosID
        self.padID = d.padID
        self.unknownID = d.unknownID
        self.addsBOSByDefault = d.addsBOS
        self.endOfTurnIDs = endOfTurn
        self.preTokenizerKind = d.preTokenizer
        self.addedTokens = d.addedTokens
        self.tokens = tokens
        self.ids = ids
        self.tokenBytes = tokens.map { t in t.map { ByteLevelAlphabet.bytes(of: $0) ?? Array($0.utf8) } ?? [] }
        self.special = special
        self.model = BPEModel(merges: merges, byteTokenIDs: byteTokenIDs,
                              missingByteID: d.unknownForMissingBytes ? d.unknownID : nil, wholePieceIDs: d.ignoreMerges ? ids : nil)
        self.preTokenizer = PreTokenizer(kind: d.preTokenizer, addPrefixSpace: d.addPrefixSpace)
        self.matcher = AddedTokenMatcher(d.addedTokens)
    }

    // MARK: encoding

    /// Token ids for `text`. `addBOS` nil follows the tokenizer's own setting. With `parseSpecial` false, text that
    /// spells a special token (e.g. "<|im_end|>" typed by a user) is tokenized as ordinary characters.
    public func encode(_ text: String, addBOS: Bool? = nil, parseSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = []
        if addBOS ?? addsBOSByDefault, let bos = bosID { out.append(bos) }
        let bytes = Array(text.utf8)
        out.reserveCapacity(out.count + bytes.count / 3)
        for segment in matcher.segments(bytes, parseSpecial: parseSpecial) {
            switch segment {
            case .token(let id): out.append(id)
            case .text(let range): encodeText(bytes, range, into: &out)
            }
        }
        return out
    }

    private func encodeText(_ bytes: [UInt8], _ range: Range<Int>, into out: inout [Int32]) {
        if preTokenizer.addPrefixSpace, bytes[range.lowerBound] != 0x20 {
            let prefixed = [0x20] + bytes[range]
            preTokenizer.split(prefixed, 0..<prefixed.count) { encodePiece(prefixed[$0], into: &out) }
            return
        }
        preTokenizer.split(bytes, range) { encodePiece(bytes[$0], into: &out) }
    }

    private func encodePiece(_ piece: ArraySlice<UInt8>, into out: inout [Int32]) {
        guard piece.count <= Self.cachedPieceLength else {
            model.encode(piece, into: &out)
            return
        }
        let key = Array(piece)
        if let hit = cache.withLock({ $0[key] }) {
            out.append(contentsOf: hit)
            return
        }
        var ids: [Int32] = []
        model.encode(piece, into: &ids)
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = ids
        }
        out.append(contentsOf: ids)
    }

    // MARK: decoding

    /// The text of `ids`. Byte sequences that are not valid UTF-8 (an id list cut mid-character) become U+FFFD,
    /// as do ids outside the vocabulary.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, skipSpecial: skipSpecial, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the raw bytes of one token (possibly part of a character); used by `StreamingDecoder`.
    func appendBytes(of id: Int32, skipSpecial: Bool, to bytes: inout [UInt8]) {
        guard id >= 0, Int(id) < tokenBytes.count else {
            bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
            return
        }
        if skipSpecial && special[Int(id)] { return }
        bytes.append(contentsOf: tokenBytes[Int(id)])
    }

    /// The UTF-8 bytes one token stands for (possibly part of a character), as OpenAI's logprobs report them.
    public func bytes(of id: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        appendBytes(of: id, skipSpecial: false, to: &bytes)
        return bytes
    }

    // MARK: vocabulary

    /// The token's spelling as stored (byte-level alphabet, e.g. "Ġthe"), or nil for an id outside the vocabulary.
    public func token(_ id: Int32) -> String? {
        guard id >= 0, Int(id) < tokens.count else { return nil }
        return tokens[Int(id)]
    }

    /// The id of a token spelled as stored (e.g. "<|im_end|>" or "Ġthe").
    public func id(of token: String) -> Int32? { ids[token] }

    public func isSpecial(_ id: Int32) -> Bool { id >= 0 && Int(id) < special.count && special[Int(id)] }
}
