// Python's str semantics where Swift differs: code points instead of Characters, isspace, repr, split, strip.

/// Python string behaviour that differs from Swift's: code-point indexing, `isspace`, `repr`.
enum PythonString {
    /// Python's `str.isspace` for one code point (Unicode White_Space plus the ASCII separators 0x1C-0x1F).
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
    }

    static func repr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if !isPrintable(scalar) {
                    let v = scalar.value
                    out += v <= 0xFF ? "\\x" + hex(v, width: 2) : v <= 0xFFFF ? "\\u" + hex(v, width: 4) : "\\U" + hex(v, width: 8)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// Python's `str.isprintable` for one code point: repr escapes control, format, separator
    /// (other than the ASCII space), private-use and unassigned code points.
    static func isPrintable(_ s: Unicode.Scalar) -> Bool {
        if s == " " { return true }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Python's `str.strip(chars)` family; `chars == nil` strips whitespace.
    static func strip(_ s: String, chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let drop: (Unicode.Scalar) -> Bool = { set?.contains($0) ?? isSpace($0) }
        var scalars = Substring(s).unicodeScalars[...]
        if leading { while let f = scalars.first, drop(f) { scalars.removeFirst() } }
        if trailing { while let l = scalars.last, drop(l) { scalars.removeLast() } }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Python's `str.split(sep, maxsplit)`.
    static func split(_ s: String, separator: String?, maxSplit: Int) -> [String] {
        var parts: [String] = []
        let scalars = Array(s.unicodeScalars)
        if let separator {
            let sep = Array(separator.unicodeScalars)
            var start = 0, i = 0
            while i + sep.count <= scalars.count, maxSplit < 0 || parts.count < maxSplit {
                if !sep.isEmpty, Array(scalars[i..<(i + sep.count)]) == sep {
                    parts.append(string(scalars[start..<i]))
                    i += sep.count
                    start = i
                } else {
                    i += 1
                }
            }
            parts.append(string(scalars[start...]))
            return parts
        }
        // Whitespace splitting drops empty pieces.
        var i = 0
        while i < scalars.count {
            while i < scalars.count, isSpace(scalars[i]) { i += 1 }
            if i == scalars.count { break }
            if maxSplit >= 0, parts.count == maxSplit {
                var end = scalars.count
                while end > i, isSpace(scalars[end - 1]) { end -= 1 }
                parts.append(string(scalars[i..<end]))
                break
            }
            let start = i
            while i < scalars.count, !isSpace(scalars[i]) { i += 1 }
            parts.append(string(scalars[start..<i]))
        }
        return parts
    }

    static func string<C: Collection>(_ scalars: C) -> String where C.Element == Unicode.Scalar {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    /// Python's `str.title()`: a letter after a non-letter is upper-cased, every other letter lower-cased.
    static func title(_ s: String) -> String {
        var out = ""
        var previousIsCased = false
        for scalar in s.unicodeScalars {
            let cased = scalar.properties.isCased
            out += previousIsCased ? String(scalar).lowercased() : String(scalar).uppercased()
            previousIsCased = cased
        }
        return out
    }

    /// Python's `str.capitalize()`.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + string(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// Python's `str.replace(old, new, count)`, on code points (a Character view would see "\r\n" as one unit).
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let source = Array(s.unicodeScalars), needle = Array(old.unicodeScalars), replacement = Array(new.unicodeScalars)
        var out: [Unicode.Scalar] = []
        var done = 0, i = 0
        if needle.isEmpty {
            // Python inserts the replacement between every code point and at both ends.
            for scalar in source where count < 0 || done < count {
                out += replacement; out.append(scalar); done += 1; i += 1
            }
            if count < 0 || done < count { out += replacement }
            out += source[i...]
            return string(out)
        }
        while i < source.count {
            if (count < 0 || done < count), i + needle.count <= source.count, source[i..<(i + needle.count)].elementsEqual(needle) {
                out += replacement
                i += needle.count
                done += 1
            } else {
                out.append(source[i])
                i += 1
            }
        }
        return string(out)
    }

    /// Python's `needle in haystack` for strings, on code points.
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        let h = Array(haystack.unicodeScalars), n = Array(needle.unicodeScalars)
        if n.isEmpty { return true }
        guard n.count <= h.count else { return false }
        for i in 0...(h.count - n.count) where h[i..<(i + n.count)].elementsEqual(n) { return true }
        return false
    }

    /// Python's `str.count(sub)` (non-overlapping).
    static func count(_ haystack: String, _ needle: String) -> Int {
        let h = Array(haystack.unicodeScalars), n = Array(needle.unicodeScalars)
        if n.isEmpty { return h.count + 1 }
        var i = 0, found = 0
        while i + n.count <= h.count {
            if h[i..<(i + n.count)].elementsEqual(n) { found += 1; i += n.count } else { i += 1 }
        }
        return found
    }

    /// Python's `str.find(sub)`: the code-point offset or -1.
    static func find(_ haystack: String, _ needle: String) -> Int {
        let h = Array(haystack.unicodeScalars), n = Array(needle.unicodeScalars)
        if n.isEmpty { return 0 }
        guard n.count <= h.count else { return -1 }
        for i in 0...(h.count - n.count) where h[i..<(i + n.count)].elementsEqual(n) { return i }
        return -1
    }
}
