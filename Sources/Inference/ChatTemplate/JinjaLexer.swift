// Splits template text into text runs and tag tokens, applying jinja2's whitespace rules
// (`-` trimming, trim_blocks, lstrip_blocks) the way transformers configures them.

struct JinjaToken: Equatable {
    enum Kind: Equatable {
        case text(String)
        case variableStart, variableEnd, blockStart, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// Punctuation and operators: `+ - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |`.
        case op(String)
        case end
    }
    let kind: Kind
    let line: Int
    let column: Int
}

struct JinjaLexer {
    /// transformers renders with trim_blocks=True and lstrip_blocks=True.
    var trimBlocks = true
    var lstripBlocks = true

    private var bytes: [UInt8] = []
    private var lineStarts: [Int] = [0]

    /// A tag's delimiters as written, before whitespace control is applied to the neighbouring text.
    private enum Piece {
        case text(start: Int, end: Int)
        case tag(tokens: [JinjaToken], isBlock: Bool, stripBefore: Bool, keepIndent: Bool, stripAfter: Bool, keepNewline: Bool)
    }

    mutating func tokenize(_ source: String) throws(ChatTemplateError) -> [JinjaToken] {
        // jinja2 normalizes newlines to "\n" and drops one trailing newline (keep_trailing_newline=False).
        var text = PythonString.replace(PythonString.replace(source, "\r\n", "\n"), "\r", "\n")
        if text.hasSuffix("\n") { text.removeLast() }
        bytes = Array(text.utf8)
        lineStarts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A { lineStarts.append(i + 1) }

        var pieces: [Piece] = []
        var i = 0, textStart = 0
        while i + 1 < bytes.count {
            guard bytes[i] == UInt8(ascii: "{"), [UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "#")].contains(bytes[i + 1]) else {
                i += 1
                continue
            }
            if textStart < i { pieces.append(.text(start: textStart, end: i)) }
            let opener = bytes[i + 1]
            let tagStart = i
            i += 2
            let stripBefore = i < bytes.count && bytes[i] == UInt8(ascii: "-")
            let keepIndent = i < bytes.count && bytes[i] == UInt8(ascii: "+")
            if stripBefore || keepIndent { i += 1 }
            if opener == UInt8(ascii: "#") {
                // Comments are raw text up to the first "#}".
                guard let close = find("#}", from: i) else { throw error(at: tagStart, "the comment is never closed with '#}'") }
                let stripAfter = close > i && bytes[close - 1] == UInt8(ascii: "-")
                let keepNewline = close > i && bytes[close - 1] == UInt8(ascii: "+")
                i = close + 2
                pieces.append(.tag(tokens: [], isBlock: true, stripBefore: stripBefore, keepIndent: keepIndent,
                                   stripAfter: stripAfter, keepNewline: keepNewline))
            } else {
                let isBlock = opener == UInt8(ascii: "%")
                var tokens = [JinjaToken(kind: isBlock ? .blockStart : .variableStart, line: 0, column: 0)]
                tokens[0] = token(tokens[0].kind, at: tagStart)
                let (inner, stripAfter, keepNewline) = try lexTag(from: &i, block: isBlock, tagStart: tagStart)
                tokens += inner
                pieces.append(.tag(tokens: tokens, isBlock: isBlock, stripBefore: stripBefore, keepIndent: keepIndent,
                                   stripAfter: stripAfter, keepNewline: keepNewline))
            }
            textStart = i
        }
        if textStart < bytes.count { pieces.append(.text(start: textStart, end: bytes.count)) }
        return applyWhitespaceControl(pieces)
    }

    private func applyWhitespaceControl(_ pieces: [Piece]) -> [JinjaToken] {
        var out: [JinjaToken] = []
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .tag(let tokens, _, _, _, _, _):
                out += tokens
            case .text(let start, let end):
                var lo = start, hi = end
                var stripLeading = false, stripTrailing = false
                if index > 0, case .tag(_, let isBlock, _, _, let stripAfter, let keepNewline) = pieces[index - 1] {
                    if stripAfter {
                        stripLeading = true
                    } else if isBlock, trimBlocks, !keepNewline, lo < hi, bytes[lo] == 0x0A {
                        lo += 1  // trim_blocks: the first newline after a block or comment tag
                    }
                }
                if index + 1 < pieces.count, case .tag(_, let isBlock, let stripBefore, let keepIndent, _, _) = pieces[index + 1] {
                    if stripBefore {
                        stripTrailing = true
                    } else if isBlock, lstripBlocks, !keepIndent {
                        // lstrip_blocks: spaces and tabs between a line start and a block or comment tag.
                        var j = hi
                        while j > lo, bytes[j - 1] == 0x20 || bytes[j - 1] == 0x09 { j -= 1 }
                        let atLineStart = j == 0 || bytes[j - 1] == 0x0A
                        if atLineStart { hi = j }
                    }
                }
                var text = String(decoding: bytes[lo..<hi], as: UTF8.self)
                // `-` strips what Python's \s matches, which includes Unicode spaces, not just ASCII.
                if stripLeading || stripTrailing {
                    text = PythonString.strip(text, chars: nil, leading: stripLeading, trailing: stripTrailing)
                }
                if !text.isEmpty { out.append(token(.text(text), at: start)) }
            }
        }
        out.append(token(.end, at: bytes.count))
        return out
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C }

    private func find(_ needle: String, from: Int) -> Int? {
        let n = Array(needle.utf8)
        var i = from
        while i + n.count <= bytes.count {
            if bytes[i] == n[0], Array(bytes[i..<(i + n.count)]) == n { return i }
            i += 1
        }
        return nil
    }

    /// Tokens inside `{{ }}` or `{% %}` up to the closing delimiter (outside any brackets).
    private func lexTag(from i: inout Int, block: Bool, tagStart: Int) throws(ChatTemplateError) -> ([JinjaToken], Bool, Bool) {
        let closer: UInt8 = block ? UInt8(ascii: "%") : UInt8(ascii: "}")
        var tokens: [JinjaToken] = []
        var depth = 0
        while true {
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count else {
                throw error(at: tagStart, "the tag is never closed with '\(block ? "%}" : "}}")'")
            }
            let c = bytes[i]
            // End of tag: optional '-' or '+', then the closer and '}'.
            if depth == 0 {
                var j = i
                let minus = bytes[j] == UInt8(ascii: "-"), plus = bytes[j] == UInt8(ascii: "+")
                if minus || plus { j += 1 }
                if j + 1 < bytes.count, bytes[j] == closer, bytes[j + 1] == UInt8(ascii: "}") {
                    tokens.append(token(block ? .blockEnd : .variableEnd, at: i))
                    i = j + 2
                    return (tokens, minus, plus)
                }
            }
            let start = i
            if isIdentifierStart(c) {
                while i < bytes.count, isIdentifierStart(bytes[i]) || isDigit(bytes[i]) { i += 1 }
                tokens.append(token(.name(String(decoding: bytes[start..<i], as: UTF8.self)), at: start))
            } else if isDigit(c) {
                tokens.append(try number(from: &i))
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                tokens.append(try string(from: &i, quote: c))
            } else {
                let two = i + 1 < bytes.count ? String(decoding: bytes[i...(i + 1)], as: UTF8.self) : ""
                let op: String
                if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
                    op = two
                } else if "+-*/%~<>=()[]{},.:|".utf8.contains(c) {
                    op = String(UnicodeScalar(c))
                } else {
                    throw error(at: i, "unexpected character '\(String(decoding: [c], as: UTF8.self))'")
                }
                if ["(", "[", "{"].contains(op) { depth += 1 }
                if [")", "]", "}"].contains(op) { depth -= 1 }
                i += op.utf8.count
                tokens.append(token(.op(op), at: start))
            }
        }
    }

    private func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private func number(from i: inout Int) throws(ChatTemplateError) -> JinjaToken {
        let start = i
        var isFloat = false
        while i < bytes.count, isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "."), isDigit(bytes[i + 1]) {
            isFloat = true
            i += 1
            while i < bytes.count, isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            var j = i + 1
            if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
            if j < bytes.count, isDigit(bytes[j]) {
                isFloat = true
                i = j
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self).filter { $0 != "_" }
        if !isFloat, let v = Int(text) { return token(.integer(v), at: start) }
        guard let d = Double(text) else { throw error(at: start, "'\(text)' is not a number") }
        return token(.float(d), at: start)
    }

    /// A string literal with Python's backslash escapes (jinja2 decodes them with unicode-escape).
    private func string(from i: inout Int, quote: UInt8) throws(ChatTemplateError) -> JinjaToken {
        let start = i
        i += 1
        var raw: [UInt8] = []
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                raw.append(bytes[i])
                raw.append(bytes[i + 1])
                i += 2
            } else {
                raw.append(bytes[i])
                i += 1
            }
        }
        guard i < bytes.count else { throw error(at: start, "the string is never closed") }
        i += 1
        return token(.string(Self.unescape(String(decoding: raw, as: UTF8.self))), at: start)
    }

    static func unescape(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var scalars = Array(s.unicodeScalars)[...]
        while let c = scalars.popFirst() {
            guard c == "\\", let e = scalars.popFirst() else { out.append(c); continue }
            func hexScalar(_ count: Int) -> Unicode.Scalar? {
                guard scalars.count >= count, let v = UInt32(String(String.UnicodeScalarView(scalars.prefix(count))), radix: 16) else { return nil }
                scalars.removeFirst(count)
                return Unicode.Scalar(v)
            }
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "\n": break  // a backslash-newline continues the line
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "0": out.append("\u{00}")
            case "x", "u", "U":
                if let v = hexScalar(e == "x" ? 2 : e == "u" ? 4 : 8) { out.append(v) } else { out.append(c); out.append(e) }
            default:
                out.append(c)
                out.append(e)
            }
        }
        return String(out)
    }

    private func position(_ offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let prefix = bytes[lineStarts[lo]..<min(offset, bytes.count)]
        return (lo + 1, String(decoding: prefix, as: UTF8.self).count + 1)
    }

    private func token(_ kind: JinjaToken.Kind, at offset: Int) -> JinjaToken {
        let p = position(offset)
        return JinjaToken(kind: kind, line: p.line, column: p.column)
    }

    private func error(at offset: Int, _ message: String) -> ChatTemplateError {
        let p = position(offset)
        return .syntax(line: p.line, column: p.column, message: message)
    }
}
