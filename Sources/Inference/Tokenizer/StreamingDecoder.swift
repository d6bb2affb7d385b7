// Turns ids into text one at a time while generating, holding back bytes until they form whole characters.

/// Byte-level tokens can end in the middle of a UTF-8 character (an emoji is often two or three tokens), so the
/// decoder keeps an incomplete tail until the next token finishes it. The pieces it returns concatenate to
/// exactly `tokenizer.decode(ids)`.
public struct StreamingDecoder: Sendable {
    public let tokenizer: BPETokenizer
    public let skipSpecial: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: BPETokenizer, skipSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// The text completed by `id` (often empty while a character is still incomplete).
    public mutating func append(_ id: Int32) -> String {
        tokenizer.appendBytes(of: id, skipSpecial: skipSpecial, to: &pending)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Whatever is still held back (an unfinished character becomes U+FFFD), leaving the decoder empty.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// How many leading bytes can be released: all of them unless they end inside a multi-byte character that
    /// further bytes could still complete. Invalid bytes are released (and replaced) at once, never held forever.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        let lowest = max(0, bytes.count - 4)
        while i >= lowest, bytes[i] & 0xC0 == 0x80 { i -= 1 }
        guard i >= lowest else { return bytes.count }  // four continuation bytes: invalid, release
        let lead = bytes[i]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return bytes.count  // ASCII or a byte that can never start a character
        }
        return bytes.count - i < needed ? i : bytes.count
    }
}
