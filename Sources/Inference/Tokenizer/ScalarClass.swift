// The four character classes the GPT-2 family's split regexes are written in, and a UTF-8 walker to find them.

enum ScalarClass: UInt8 {
    case letter      // \p{L}
    case number      // \p{N}
    case whitespace  // \s (Unicode White_Space, as Oniguruma and the regex crate define it)
    case other

    init(_ scalar: Unicode.Scalar) {
        let v = scalar.value
        if v < 0x80 {
            self = ScalarClass.ascii[Int(v)]
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace { self = .whitespace; return }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    private static let ascii: [ScalarClass] = (0..<128).map { v -> ScalarClass in
        switch UInt8(v) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case 0x09...0x0D, 0x20: return .whitespace
        default: return .other
        }
    }
}

/// The scalars of a run of UTF-8 bytes: where each starts, its value and its class. Built once per text segment so
/// the split scanners can look ahead freely.
struct ScalarRun {
    var starts: [Int] = []
    var values: [UInt32] = []
    var classes: [ScalarClass] = []
    /// One past the last byte, so the byte range of scalar i is starts[i]..<end(i).
    var endOffset = 0

    var count: Int { starts.count }
    func end(_ i: Int) -> Int { i + 1 < starts.count ? starts[i + 1] : endOffset }

    /// `bytes[range]` must be well-formed UTF-8 (it always is: it comes from a Swift String).
    init(_ bytes: [UInt8], _ range: Range<Int>) {
        starts.reserveCapacity(range.count)
        values.reserveCapacity(range.count)
        classes.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let lead = bytes[i]
            var value: UInt32
            var length: Int
            switch lead {
            case 0..<0x80: value = UInt32(lead); length = 1
            case 0xC0..<0xE0: value = UInt32(lead & 0x1F); length = 2
            case 0xE0..<0xF0: value = UInt32(lead & 0x0F); length = 3
            default: value = UInt32(lead & 0x07); length = 4
            }
            length = min(length, range.upperBound - i)
            for k in 1..<max(length, 1) { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
            starts.append(i)
            values.append(value)
            classes.append(ScalarClass(Unicode.Scalar(value) ?? "\u{FFFD}"))
            i += length
        }
        endOffset = range.upperBound
    }
}
