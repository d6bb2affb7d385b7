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
