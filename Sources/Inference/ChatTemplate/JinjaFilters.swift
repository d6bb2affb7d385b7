// The `|filter` functions chat templates use, with jinja2's argument names and Undefined handling.
import Foundation

extension JinjaInterpreter {
    /// Every filter `applyFilter` knows; the parser rejects others, as jinja2 does when it compiles a template.
    static let filterNames: Set<String> = [
        "default", "d", "safe", "string", "trim", "upper", "lower", "capitalize", "title", "replace", "length", "count",
        "first", "last", "list", "join", "reverse", "unique", "sort", "items", "int", "float", "abs", "round", "indent",
        "tojson", "selectattr", "rejectattr", "select", "reject", "map", "escape", "e", "sum", "min", "max",
    ]

    func applyFilter(_ name: String, to value: JinjaValue, arguments a: Arguments) throws(ChatTemplateError) -> JinjaValue {
        // Undefined's __int__/__float__ and string methods raise, which these filters do not catch.
        if case .undefined(let message) = value, ["int", "float", "indent"].contains(name) { throw fail(message) }
        switch name {
        case "default", "d":
            let useDefault = value.isUndefined || ((a.value(1, "boolean")?.isTruthy ?? false) && !value.isTruthy)
            return useDefault ? (a.value(0, "default_value") ?? .string("")) : value
        case "safe", "string":
            // Without autoescape `safe` changes nothing; `string` is Python's str().
            return name == "safe" ? value : .string(value.pythonString)
        case "trim":
            let chars = a.value(0, "chars").flatMap { $0.isTruthy ? $0.pythonString : nil }
            return .string(PythonString.strip(value.pythonString, chars: chars, leading: true, trailing: true))
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "capitalize": return .string(PythonString.capitalize(value.pythonString))
        case "title": return .string(jinjaTitle(value.pythonString))
        case "replace":
            guard let old = a.value(0, "old"), let new = a.value(1, "new") else { throw fail("replace needs two arguments: old and new") }
            let count = a.value(2, "count").flatMap { if case .int(let n) = $0 { n } else { nil } } ?? -1
            return .string(PythonString.replace(value.pythonString, old.pythonString, new.pythonString, count: count))
        case "length", "count":
            return .int(try length(of: value))
        case "first":
            return try iterate(value).first ?? .undefined("No first item, sequence was empty.")
        case "last":
            if case .dictionary = value { throw fail("'dict' object is not reversible") }
            return try iterate(value).last ?? .undefined("No last item, sequence was empty.")
        case "list":
            return .array(try iterate(value))
        case "join":
            var items = try iterate(value)
            if let attribute = a.value(1, "attribute") { items = try items.map { v throws(ChatTemplateError) in try lookupPath(attribute, in: v) } }
            return .string(items.map(\.pythonString).joined(separator: a.value(0, "d")?.pythonString ?? ""))
        case "reverse":
            if case .string(let s) = value { return .string(PythonString.string(s.unicodeScalars.reversed())) }
            return .array(try iterate(value).reversed())
        case "unique":
            return .array(try unique(try iterate(value), caseSensitive: a.value(0, "case_sensitive")?.isTruthy ?? false,
                                     attribute: a.value(1, "attribute")))
        case "sort":
            return .array(try sort(try iterate(value), reverse: a.value(0, "reverse")?.isTruthy ?? false,
                                   caseSensitive: a.value(1, "case_sensitive")?.isTruthy ?? false, attribute: a.value(2, "attribute")))
        case "items":
            switch value {
            case .undefined: return .array([])
            case .dictionary(let d): return .array(d.pairs.map { .tuple([.string($0.key), $0.value]) })
            default: throw fail("can only get item pairs from a mapping, not '\(value.typeName)'")
            }
        case "int": return toInt(value, default: a.value(0, "default") ?? .int(0), base: a.value(1, "base"))
        case "float": return toFloat(value, default: a.value(0, "default") ?? .double(0))
        case "abs":
            switch value {
            case .int(let i): return .int(abs(i))
            case .double(let d): return .double(abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            default: throw fail("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round": return try round(value, precision: a.value(0, "precision") ?? .int(0), method: a.value(1, "method")?.pythonString ?? "common")
        case "indent": return .string(indent(value.pythonString, a))
        case "tojson": return try toJSON(value, a)
        case "selectattr", "rejectattr":
            let keep = name == "selectattr"
            guard let attribute = a.positional.first else { throw fail("\(name) needs an attribute name") }
            let rest = Arguments(positional: Array(a.positional.dropFirst()), keyword: a.keyword)
            var kept: [JinjaValue] = []
            for item in try iterate(value) where try selects(try lookupPath(attribute, in: item), rest) == keep { kept.append(item) }
            return .array(kept)
        case "select", "reject":
            let keep = name == "select"
            var kept: [JinjaValue] = []
            for item in try iterate(value) where try selects(item, a) == keep { kept.append(item) }
            return .array(kept)
        case "map":
            let items = try iterate(value)
            if let attribute = a.keywordValue("attribute") {
                let fallback = a.keywordValue("default")
                return .array(try items.map { item throws(ChatTemplateError) in
                    let v = try lookupPath(attribute, in: item)
                    return v.isUndefined ? (fallback ?? v) : v
                })
            }
            guard let filter = a.positional.first else { throw fail("map needs a filter name or attribute=") }
            let rest = Arguments(positional: Array(a.positional.dropFirst()), keyword: a.keyword)
            return .array(try items.map { item throws(ChatTemplateError) in try applyFilter(filter.pythonString, to: item, arguments: rest) })
        case "escape", "e":
            var out = ""
            for c in value.pythonString.unicodeScalars {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(c)
                }
            }
            return .string(out)
        case "sum":
            var total = a.value(1, "start") ?? .int(0)
            for item in try iterate(value) {
                total = try binary("+", total, try a.value(0, "attribute").map { attr throws(ChatTemplateError) in try lookupPath(attr, in: item) } ?? item)
            }
            return total
        case "min", "max":
            let items = try iterate(value)
            guard var best = items.first else { return .undefined("No aggregated item, sequence was empty.") }
            for item in items.dropFirst() {
                guard let less = item.pythonLess(best), let more = best.pythonLess(item) else {
                    throw fail("'<' not supported between instances of '\(item.typeName)' and '\(best.typeName)'")
                }
                if name == "min" ? less : more { best = item }
            }
            return best
        default:
            throw fail("no filter named '\(name)'")
        }
    }

    /// Python's len(); Undefined has length 0.
    func length(of value: JinjaValue) throws(ChatTemplateError) -> Int {
        switch value {
        case .undefined: return 0
        case .string(let s): return s.unicodeScalars.count
        case .array(let a), .tuple(let a): return a.count
        case .dictionary(let d): return d.count
        case .namespace(let ns): return ns.attributes.count
        default: throw fail("object of type '\(value.typeName)' has no len()")
        }
    }

    /// `attribute="a.b"` or `attribute=0` as selectattr/map/sort take it: dotted names and integer indices.
    func lookupPath(_ path: JinjaValue, in value: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        if case .int = path { return try item(path, of: value) }
        var current = value
        for part in path.pythonString.split(separator: ".", omittingEmptySubsequences: false) {
            let key: JinjaValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try item(key, of: current)
        }
        return current
    }

    /// select/reject: the named test on `value`, or its truthiness when no test is given.
    private func selects(_ value: JinjaValue, _ a: Arguments) throws(ChatTemplateError) -> Bool {
        guard let test = a.positional.first else { return value.isTruthy }
        let rest = Arguments(positional: Array(a.positional.dropFirst()), keyword: a.keyword)
        return try applyTest(test.pythonString, to: value, arguments: rest)
    }

    private func sortKey(_ v: JinjaValue, caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    private func unique(_ items: [JinjaValue], caseSensitive: Bool, attribute: JinjaValue?) throws(ChatTemplateError) -> [JinjaValue] {
        var seen: [JinjaValue] = []
        var out: [JinjaValue] = []
        for item in items {
            let key = sortKey(try attribute.map { p throws(ChatTemplateError) in try lookupPath(p, in: item) } ?? item, caseSensitive: caseSensitive)
            if !seen.contains(where: { $0.pythonEquals(key) }) {
                seen.append(key)
                out.append(item)
            }
        }
        return out
    }

    private func sort(_ items: [JinjaValue], reverse: Bool, caseSensitive: Bool, attribute: JinjaValue?) throws(ChatTemplateError) -> [JinjaValue] {
        var keyed: [(key: JinjaValue, item: JinjaValue)] = []
        for item in items {
            keyed.append((sortKey(try attribute.map { p throws(ChatTemplateError) in try lookupPath(p, in: item) } ?? item, caseSensitive: caseSensitive), item))
        }
        // Insertion sort keeps Python's stability and lets a type mismatch throw instead of trapping.
        var sorted: [(key: JinjaValue, item: JinjaValue)] = []
        for entry in keyed {
            var position = sorted.count
            while position > 0 {
                let other = sorted[position - 1].key
                guard let less = reverse ? other.pythonLess(entry.key) : entry.key.pythonLess(other) else {
                    throw fail("'<' not supported between instances of '\(entry.key.typeName)' and '\(other.typeName)'")
                }
                if !less { break }
                position -= 1
            }
            sorted.insert(entry, at: position)
        }
        return sorted.map(\.item)
    }

    /// jinja2's `title` filter: upper-cases the first letter of each word (words start after spaces, -, (, {, [, <).
    private func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for scalar in s.unicodeScalars {
            let isBoundary = PythonString.isSpace(scalar) || "-({[<".unicodeScalars.contains(scalar)
            if isBoundary {
                out.unicodeScalars.append(scalar)
                atWordStart = true
            } else {
                out += atWordStart ? String(scalar).uppercased() : String(scalar).lowercased()
                atWordStart = false
            }
        }
        return out
    }

    private func toInt(_ value: JinjaValue, default fallback: JinjaValue, base: JinjaValue?) -> JinjaValue {
        switch value {
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d): return d.isFinite && abs(d) < 9.2e18 ? .int(Int(d)) : fallback
        case .string(let s):
            let text = PythonString.strip(s, chars: nil, leading: true, trailing: true).filter { $0 != "_" }
            let radix = base.flatMap { if case .int(let b) = $0 { b } else { nil } } ?? 10
            if let i = Int(text, radix: radix) { return .int(i) }
            if let d = Double(text), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
            return fallback
        default: return fallback
        }
    }

    private func toFloat(_ value: JinjaValue, default fallback: JinjaValue) -> JinjaValue {
        switch value {
        case .int(let i): return .double(Double(i))
        case .bool(let b): return .double(b ? 1 : 0)
        case .double: return value
        case .string(let s):
            let text = PythonString.strip(s, chars: nil, leading: true, trailing: true).lowercased()
            switch text {
            case "inf", "+inf", "infinity": return .double(.infinity)
            case "-inf", "-infinity": return .double(-.infinity)
            case "nan": return .double(.nan)
            default: return Double(text).map { .double($0) } ?? fallback
            }
        default: return fallback
        }
    }

    private func round(_ value: JinjaValue, precision: JinjaValue, method: String) throws(ChatTemplateError) -> JinjaValue {
        guard let x = value.numericValue else { throw fail("round needs a number, not '\(value.typeName)'") }
        let digits = precision.numericValue.map { Int($0) } ?? 0
        let scale = pow(10.0, Double(digits))
        let rule: FloatingPointRoundingRule
        switch method {
        case "common": rule = .toNearestOrEven  // Python's round()
        case "ceil": rule = .up
        case "floor": rule = .down
        default: throw fail("method must be 'common', 'ceil' or 'floor'")
        }
        if method == "common", case .int = value, digits >= 0 { return value }
        if method == "common", digits >= 0, digits <= 17, x.isFinite {
            // printf rounds the exact binary value half-to-even, as Python's round() does (2.675 -> 2.67).
            return .double(Double(String(format: "%.\(digits)f", x)) ?? x)
        }
        return .double((x * scale).rounded(rule) / scale)
    }

    private func indent(_ text: String, _ a: Arguments) -> String {
        let width = a.value(0, "width") ?? .int(4)
        let pad: String
        if case .string(let s) = width { pad = s } else { pad = String(repeating: " ", count: max(0, Int(width.numericValue ?? 4))) }
        let first = a.value(1, "first")?.isTruthy ?? false
        let blank = a.value(2, "blank")?.isTruthy ?? false
        // jinja2 appends a newline before splitlines(), so a trailing newline yields no extra empty line.
        let lines = pythonSplitLines(text + "\n")
        var out: String
        if blank {
            out = lines.joined(separator: "\n" + pad)
        } else {
            out = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty { out += "\n" + rest.map { $0.isEmpty ? $0 : pad + $0 }.joined(separator: "\n") }
        }
        return first ? pad + out : out
    }

    /// Python's `str.splitlines()` (without keepends).
    func pythonSplitLines(_ s: String) -> [String] {
        let breaks: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var scalars = Array(s.unicodeScalars)[...]
        while let c = scalars.popFirst() {
            if breaks.contains(c.value) {
                if c == "\r", scalars.first == "\n" { scalars.removeFirst() }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// transformers' tojson: `json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
    private func toJSON(_ value: JinjaValue, _ a: Arguments) throws(ChatTemplateError) -> JinjaValue {
        var options = JSONDumpOptions()
        options.ensureASCII = a.value(0, "ensure_ascii")?.isTruthy ?? false
        switch a.value(1, "indent") {
        case .int(let n)?: options.indent = String(repeating: " ", count: max(0, n))
        case .string(let s)?: options.indent = s
        default: break
        }
        switch a.value(2, "separators") {
        case .array(let pair)?, .tuple(let pair)?:
            guard pair.count == 2 else { throw fail("tojson separators must be an (item_separator, key_separator) pair") }
            options.itemSeparator = pair[0].pythonString
            options.keySeparator = pair[1].pythonString
        default: break
        }
        options.sortKeys = a.value(3, "sort_keys")?.isTruthy ?? false
        do {
            return .string(try JinjaJSON.dump(value, options: options))
        } catch {
            throw fail("Object of type \(error.typeName) is not JSON serializable")
        }
    }
}
