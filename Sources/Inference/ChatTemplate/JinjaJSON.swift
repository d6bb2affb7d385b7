// JSON in and out of template values: `tojson` as transformers defines it (json.dumps, ensure_ascii off),
// and an order-keeping reader for tools and extra context given as JSON text.

/// The options of transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
struct JSONDumpOptions {
    var ensureASCII = false
    var indent: String? = nil
    var itemSeparator: String? = nil
    var keySeparator: String? = nil
    var sortKeys = false
}

enum JinjaJSON {
    struct NotSerializable: Error { let typeName: String }

    /// Python's `json.dumps` for template values.
    static func dump(_ value: JinjaValue, options: JSONDumpOptions) throws(NotSerializable) -> String {
        var out = ""
        try write(value, options: options, level: 0, into: &out)
        return out
    }

    private static func write(_ value: JinjaValue, options o: JSONDumpOptions, level: Int, into out: inout String) throws(NotSerializable) {
        // json.dumps uses ", " between items unless an indent is given, then ",".
        let itemSeparator = o.itemSeparator ?? (o.indent == nil ? ", " : ",")
        let keySeparator = o.keySeparator ?? ": "
        func newline(_ level: Int) -> String {
            guard let indent = o.indent else { return "" }
            return "\n" + String(repeating: indent, count: level)
        }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += PythonFloat.repr(d) }
        case .string(let s): writeString(s, ascii: o.ensureASCII, into: &out)
        case .array(let items), .tuple(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                out += (i == 0 ? "" : itemSeparator) + newline(level + 1)
                try write(item, options: o, level: level + 1, into: &out)
            }
            out += newline(level) + "]"
        case .dictionary(let d):
            if d.isEmpty { out += "{}"; return }
            var pairs = d.pairs
            if o.sortKeys { pairs.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } }
            out += "{"
            for (i, pair) in pairs.enumerated() {
                out += (i == 0 ? "" : itemSeparator) + newline(level + 1)
                writeString(pair.key, ascii: o.ensureASCII, into: &out)
                out += keySeparator
                try write(pair.value, options: o, level: level + 1, into: &out)
            }
            out += newline(level) + "}"
        case .undefined, .namespace, .callable:
            throw NotSerializable(typeName: value.typeName)
        }
    }

    private static func writeString(_ s: String, ascii: Bool, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (ascii && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        // Outside the BMP, \u escapes are a UTF-16 surrogate pair.
                        let v = scalar.value - 0x10000
                        out += "\\u" + PythonString.hex(0xD800 + (v >> 10), width: 4) + "\\u" + PythonString.hex(0xDC00 + (v & 0x3FF), width: 4)
                    } else {
                        out += "\\u" + PythonString.hex(scalar.value, width: 4)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// Reading JSON text into values, keeping object key order.
public struct JinjaJSONError: Error, CustomStringConvertible, Equatable {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JinjaValue {
    /// Parses JSON (objects keep their key order; integers stay integers) into a template value.
    public init(json: String) throws(JinjaJSONError) {
        var parser = JSONReader(bytes: Array(json.utf8))
        parser.skipSpace()
        self = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == parser.bytes.count else { throw JinjaJSONError(offset: parser.at, reason: "unexpected text after the value") }
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var at = 0

    mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }

    func fail(_ reason: String) -> JinjaJSONError { JinjaJSONError(offset: at, reason: reason) }

    mutating func expect(_ literal: String, _ value: JinjaValue) throws(JinjaJSONError) -> JinjaValue {
        let l = Array(literal.utf8)
        guard at + l.count <= bytes.count, Array(bytes[at..<(at + l.count)]) == l else { throw fail("expected \(literal)") }
        at += l.count
        return value
    }

    mutating func value(depth: Int) throws(JinjaJSONError) -> JinjaValue {
        guard depth < 512 else { throw fail("nesting is deeper than 512 levels") }
        guard at < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            at += 1
            var dict = JinjaDictionary()
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .dictionary(dict) }
            while true {
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try string()
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                at += 1
                skipSpace()
                dict[key] = try value(depth: depth + 1)
                skipSpace()
                guard at < bytes.count else { throw fail("unterminated object") }
                if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                if bytes[at] == UInt8(ascii: "}") { at += 1; return .dictionary(dict) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            at += 1
            var items: [JinjaValue] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard at < bytes.count else { throw fail("unterminated array") }
                if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .none)
        default: return try number()
        }
    }

    mutating func number() throws(JinjaJSONError) -> JinjaValue {
        let start = at
        var isFloat = false
        while at < bytes.count {
            let c = bytes[at]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                at += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                isFloat = true
                at += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<at], as: UTF8.self)
        if !isFloat, let i = Int(text) { return .int(i) }
        guard !text.isEmpty, let d = Double(text) else { at = start; throw fail("expected a value") }
        return .double(d)
    }

    mutating func string() throws(JinjaJSONError) -> String {
        at += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var run = at
        func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
        while at < bytes.count {
            let c = bytes[at]
            if c == UInt8(ascii: "\"") {
                flush(at)
                at += 1
                return String(scalars)
            }
            if c == UInt8(ascii: "\\") {
                flush(at)
                at += 1
                guard at < bytes.count else { break }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                        at += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(e))
                }
                run = at
                continue
            }
            at += 1
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(JinjaJSONError) -> UInt32 {
        guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        at += 4
        return v
    }
}
