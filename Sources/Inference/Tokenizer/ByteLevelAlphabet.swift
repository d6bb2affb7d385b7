// GPT-2's byte-level alphabet: every byte is spelled as one printable Unicode scalar so BPE never sees raw bytes.

enum ByteLevelAlphabet {
    /// Bytes that are printable on their own keep their code point; the other 68 are moved to U+0100 and up, in byte order.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    static let byteForScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { map[scalar.value] = UInt8(byte) }
        return map
    }()

    /// The token spelling of raw bytes (what the vocabulary and merges are written in).
    static func spell<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalarForByte[Int(b)]) }
        return String(s)
    }

    /// The bytes a token spells, or nil when it uses a character outside the alphabet (e.g. an added token like "<think>é"
    /// written as plain text), in which case callers use its UTF-8 as the Hugging Face ByteLevel decoder does.
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let b = byteForScalar[scalar.value] else { return nil }
            out.append(b)
        }
        return out
    }
}
