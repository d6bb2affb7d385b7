// How values print, compare and test true, following Python (str/repr/bool/==/<) as jinja2 does.

extension JinjaValue {
    var isUndefined: Bool { if case .undefined = self { true } else { false } }

    /// Python's `bool(x)`; Undefined is false.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .array(let a), .tuple(let a): !a.isEmpty
        case .dictionary(let d): !d.isEmpty
        case .namespace, .callable: true
        }
    }

    /// Python's type name, as jinja2 puts it in messages ("'dict object' has no attribute ...").
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .array: "list"
        case .tuple: "tuple"
        case .dictionary: "dict"
        case .namespace: "Namespace"
        case .callable: "function"
        }
    }

    /// What `{{ x }}`, `~` and `|string` produce: Python's `str(x)`; Undefined prints as nothing.
    var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: pythonRepr
        }
    }

    /// Python's `repr(x)`, used for items inside printed lists and dicts.
    var pythonRepr: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): PythonFloat.repr(d)
        case .string(let s): PythonString.repr(s)
        case .array(let a): "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .tuple(let a): a.count == 1 ? "(" + a[0].pythonRepr + ",)" : "(" + a.map(\.pythonRepr).joined(separator: ", ") + ")"
        case .dictionary(let d):
            "{" + d.pairs.map { PythonString.repr($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let ns):
            "<Namespace " + JinjaValue.dictionary(ns.attributes).pythonRepr + ">"
        case .callable(let c): "<function \(c.name)>"
        }
    }

    /// A number as Double when the value is numeric (Python's bool is an int).
    var numericValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Python's `==`.
    func pythonEquals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dictionary(let a), .dictionary(let b)):
            return a.count == b.count && a.pairs.allSatisfy { pair in b[pair.key].map { pair.value.pythonEquals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.callable(let a), .callable(let b)): return a === b
        default:
            if let x = numericValue, let y = other.numericValue { return x == y }
            return false
        }
    }

    /// Python's `<` for the types that order (numbers, strings, lists); nil when Python raises TypeError.
    func pythonLess(_ other: JinjaValue) -> Bool? {
        switch (self, other) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.int(let a), .int(let b)): return a < b
        case (.array(let a), .array(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return x.pythonLess(y) }
            return a.count < b.count
        default:
            if let x = numericValue, let y = other.numericValue { return x < y }
            return nil
        }
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, fixed notation for 1e-4 <= |x| < 1e16.
enum PythonFloat {
    static func repr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        // Swift's description already gives the shortest round-tripping digits; only the layout differs.
        let text = d.description
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let (mantissa, exponent): (String, Int)
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(body[..<e])
            exponent = Int(body[body.index(after: e)...]) ?? 0
        } else {
            mantissa = body
            exponent = 0
        }
        // Digits and the position of the decimal point within them.
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exponent
        while digits.count > 1, digits.hasPrefix("0") { digits.removeFirst(); point -= 1 }
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        if digits == "0" { return (negative ? "-" : "") + "0.0" }
        let decimalExponent = point - 1
        var out: String
        if decimalExponent < -4 || decimalExponent >= 16 {
            out = String(digits.first!)
            if digits.count > 1 { out += "." + String(digits.dropFirst()) }
            out += "e" + (decimalExponent < 0 ? "-" : "+") + (abs(decimalExponent) < 10 ? "0" : "") + String(abs(decimalExponent))
        } else if point <= 0 {
            out = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            out = digits + String(repeating: "0", count: point - digits.count) + ".0"
        } else {
            let i = digits.index(digits.startIndex, offsetBy: point)
            out = String(digits[..<i]) + "." + String(digits[i...])
        }
        return (negative ? "-" : "") + out
    }
}

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
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
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
