// Added and special tokens (<|im_start|>, <|endoftext|>, …) are found in the raw text before any splitting or BPE.

/// A token matched whole in the text instead of being built by merges.
public struct AddedToken: Sendable, Equatable {
    public let id: Int32
    public let content: String
    /// Special (control) tokens can be switched off for untrusted text; plain added tokens are always matched.
    public let isSpecial: Bool

    public init(id: Int32, content: String, isSpecial: Bool) {
        self.id = id
        self.content = content
        self.isSpecial = isSpecial
    }
}

struct AddedTokenMatcher: Sendable {
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private let tokens: [(bytes: [UInt8], id: Int32, isSpecial: Bool)]
    /// For each first byte, the indices into `tokens` starting with it, longest first (so the first hit is the longest).
    private let candidates: [[Int]]

    init(_ added: [AddedToken]) {
        let sorted = added.filter { !$0.content.isEmpty }.map { (bytes: Array($0.content.utf8), id: $0.id, isSpecial: $0.isSpecial) }
        tokens = sorted
        var table = [[Int]](repeating: [], count: 256)
        for (i, t) in sorted.enumerated() { table[Int(t.bytes[0])].append(i) }
        candidates = table.map { list in list.sorted { sorted[$0].bytes.count > sorted[$1].bytes.count } }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Cuts `bytes` into plain text and added tokens, leftmost-longest, like the Hugging Face AddedVocabulary.
    /// With `parseSpecial` false, special tokens are left in the text to be tokenized as ordinary characters.
    func segments(_ bytes: [UInt8], parseSpecial: Bool) -> [Segment] {
        var out: [Segment] = []
        var textStart = 0
        var i = 0
        while i < bytes.count {
            var matched: (length: Int, id: Int32)?
            for c in candidates[Int(bytes[i])] {
                let t = tokens[c]
                guard parseSpecial || !t.isSpecial, i + t.bytes.count <= bytes.count else { continue }
                if bytes[i..<(i + t.bytes.count)].elementsEqual(t.bytes) {
                    matched = (t.bytes.count, t.id)
                    break
                }
            }
            if let m = matched {
                if textStart < i { out.append(.text(textStart..<i)) }
                out.append(.token(m.id))
                i += m.length
                textStart = i
            } else {
                i += 1
            }
        }
        if textStart < bytes.count { out.append(.text(textStart..<bytes.count)) }
        return out
    }
}
