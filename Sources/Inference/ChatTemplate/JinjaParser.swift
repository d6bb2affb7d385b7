// Recursive-descent parser from tokens to the syntax tree, with jinja2's operator precedence.

struct JinjaParser {
    private let tokens: [JinjaToken]
    private var index = 0

    init(tokens: [JinjaToken]) { self.tokens = tokens }

    /// Parses a whole template.
    mutating func parseTemplate() throws(ChatTemplateError) -> [JinjaNode] {
        let (body, endTag) = try parseBody(until: [])
        if let endTag { throw error(at: endTag.token, "unexpected '\(endTag.name)' with no open block to close") }
        return body
    }

    // MARK: statements

    private var current: JinjaToken { tokens[index] }

    private mutating func advance() -> JinjaToken {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    /// Parses nodes until a block tag whose name is in `endNames` (consumed up to its name), or the end.
    private mutating func parseBody(until endNames: Set<String>) throws(ChatTemplateError) -> ([JinjaNode], (name: String, token: JinjaToken)?) {
        var nodes: [JinjaNode] = []
        while true {
            let token = current
            switch token.kind {
            case .end:
                return (nodes, nil)
            case .text(let s):
                _ = advance()
                nodes.append(.text(s))
            case .variableStart:
                _ = advance()
                let e = try parseExpression()
                try expectEnd(.variableEnd, "}}")
                nodes.append(.output(e, line: token.line))
            case .blockStart:
                _ = advance()
                guard case .name(let tag) = current.kind else { throw error(at: current, "expected a tag name after '{%'") }
                if endNames.contains(tag) {
                    let t = advance()
                    return (nodes, (tag, t))
                }
                nodes.append(try parseStatement(tag, line: token.line))
            default:
                throw error(at: token, "unexpected \(describe(token))")
            }
        }
    }

    private mutating func parseStatement(_ tag: String, line: Int) throws(ChatTemplateError) -> JinjaNode {
        let tagToken = advance()
        switch tag {
        case "if": return try parseIf(line: line)
        case "for": return try parseFor(line: line)
        case "set": return try parseSet(line: line)
        case "macro": return try parseMacro(line: line)
        case "call": return try parseCall(line: line)
        case "break", "continue":
            try expectEnd(.blockEnd, "%}")
            return tag == "break" ? .breakLoop(line: line) : .continueLoop(line: line)
        case "generation":
            // transformers' {% generation %} marks assistant text for masks; it renders its body unchanged.
            try expectEnd(.blockEnd, "%}")
            let (body, _) = try parseBlockBody(until: ["endgeneration"], opened: tagToken)
            return .ifBlock(branches: [(.literal(.bool(true)), body)], otherwise: [], line: line)
        default:
            throw error(at: tagToken, "unknown tag '\(tag)'")
        }
    }

    /// A block body that must end with one of `names`; returns the body and the closing tag's name.
    private mutating func parseBlockBody(until names: Set<String>, opened: JinjaToken) throws(ChatTemplateError) -> ([JinjaNode], String) {
        let (body, end) = try parseBody(until: names)
        guard let end else {
            let expected = names.sorted().map { "'\($0)'" }.joined(separator: " or ")
            throw error(at: opened, "this block is never closed (expected \(expected))")
        }
        return (body, end.name)
    }

    private mutating func parseIf(line: Int) throws(ChatTemplateError) -> JinjaNode {
        var branches: [(condition: JinjaExpression, body: [JinjaNode])] = []
        var otherwise: [JinjaNode] = []
        var opened = tokens[index - 1]
        var condition = try parseExpression()
        while true {
            try expectEnd(.blockEnd, "%}")
            let (body, end) = try parseBlockBody(until: ["elif", "else", "endif"], opened: opened)
            branches.append((condition, body))
            if end == "elif" {
                opened = tokens[index - 1]
                condition = try parseExpression()
                continue
            }
            if end == "else" {
                try expectEnd(.blockEnd, "%}")
                (otherwise, _) = try parseBlockBody(until: ["endif"], opened: opened)
            }
            try expectEnd(.blockEnd, "%}")
            return .ifBlock(branches: branches, otherwise: otherwise, line: line)
        }
    }

    private mutating func parseFor(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let opened = tokens[index - 1]
        var targets = [try expectName()]
        while case .op(",") = current.kind {
            _ = advance()
            targets.append(try expectName())
        }
        guard case .name("in") = current.kind else { throw error(at: current, "expected 'in' in the for loop, found \(describe(current))") }
        _ = advance()
        // The iterable stops before a loop filter: `for x in xs if cond`.
        let iterable = try parseOr()
        var condition: JinjaExpression? = nil
        if case .name("if") = current.kind {
            _ = advance()
            condition = try parseOr()
        }
        if case .name("recursive") = current.kind { throw error(at: current, "recursive loops are not supported") }
        try expectEnd(.blockEnd, "%}")
        let (body, end) = try parseBlockBody(until: ["else", "endfor"], opened: opened)
        var otherwise: [JinjaNode] = []
        if end == "else" {
            try expectEnd(.blockEnd, "%}")
            (otherwise, _) = try parseBlockBody(until: ["endfor"], opened: opened)
        }
        try expectEnd(.blockEnd, "%}")
        return .forLoop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line)
    }

    private mutating func parseSet(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let opened = tokens[index - 1]
        let first = try expectName()
        var target = JinjaAssignTarget.names([first])
        if case .op(".") = current.kind {
            _ = advance()
            target = .attribute(first, try expectName())
        } else {
            var names = [first]
            while case .op(",") = current.kind {
                _ = advance()
                names.append(try expectName())
            }
            target = .names(names)
        }
        if case .op("=") = current.kind {
            _ = advance()
            var value = try parseExpression()
            if case .op(",") = current.kind {
                var items = [value]
                while case .op(",") = current.kind {
                    _ = advance()
                    items.append(try parseExpression())
                }
                value = .tuple(items)
            }
            try expectEnd(.blockEnd, "%}")
            return .set(target, value, line: line)
        }
        // Block form: {% set name %}...{% endset %}, optionally filtered.
        guard case .names(let names) = target, names.count == 1 else { throw error(at: current, "expected '=' in the set tag") }
        var filters: [(name: String, arguments: JinjaArguments)] = []
        while case .op("|") = current.kind {
            _ = advance()
            let name = try expectName()
            var arguments = JinjaArguments()
            if case .op("(") = current.kind { arguments = try parseCallArguments() }
            filters.append((name, arguments))
        }
        try expectEnd(.blockEnd, "%}")
        let (body, _) = try parseBlockBody(until: ["endset"], opened: opened)
        try expectEnd(.blockEnd, "%}")
        return .setBlock(names[0], filters: filters, body: body, line: line)
    }

    private mutating func parseMacroSignature(name: String) throws(ChatTemplateError) -> [(name: String, defaultValue: JinjaExpression?)] {
        var parameters: [(name: String, defaultValue: JinjaExpression?)] = []
        guard case .op("(") = current.kind else { return parameters }
        _ = advance()
        while true {
            if case .op(")") = current.kind { _ = advance(); break }
            let p = try expectName()
            var d: JinjaExpression? = nil
            if case .op("=") = current.kind {
                _ = advance()
                d = try parseExpression()
            }
            parameters.append((p, d))
            if case .op(",") = current.kind { _ = advance(); continue }
            guard case .op(")") = current.kind else { throw error(at: current, "expected ',' or ')' in the parameters of '\(name)'") }
        }
        return parameters
    }

    private mutating func parseMacro(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let opened = tokens[index - 1]
        let name = try expectName()
        guard case .op("(") = current.kind else { throw error(at: current, "expected '(' after the macro name '\(name)'") }
        let parameters = try parseMacroSignature(name: name)
        try expectEnd(.blockEnd, "%}")
        let (body, _) = try parseBlockBody(until: ["endmacro"], opened: opened)
        try expectEnd(.blockEnd, "%}")
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body), line: line)
    }

    private mutating func parseCall(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let opened = tokens[index - 1]
        let parameters = try parseMacroSignature(name: "caller")
        let call = try parseExpression()
        guard case .call = call else { throw error(at: opened, "'call' must be followed by a macro call") }
        try expectEnd(.blockEnd, "%}")
        let (body, _) = try parseBlockBody(until: ["endcall"], opened: opened)
        try expectEnd(.blockEnd, "%}")
        return .callBlock(call, caller: JinjaMacro(name: "caller", parameters: parameters, body: body), line: line)
    }

    // MARK: expressions (lowest precedence first)

    mutating func parseExpression() throws(ChatTemplateError) -> JinjaExpression {
        let value = try parseOr()
        guard case .name("if") = current.kind else { return value }
        _ = advance()
        let condition = try parseOr()
        var otherwise: JinjaExpression? = nil
        if case .name("else") = current.kind {
            _ = advance()
            otherwise = try parseExpression()
        }
        return .conditional(value: value, condition: condition, otherwise: otherwise)
    }

    private mutating func parseOr() throws(ChatTemplateError) -> JinjaExpression {
        var left = try parseAnd()
        while case .name("or") = current.kind {
            _ = advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> JinjaExpression {
        var left = try parseNot()
        while case .name("and") = current.kind {
            _ = advance()
            left = .and(left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> JinjaExpression {
        if case .name("not") = current.kind {
            _ = advance()
            return .unary("not", try parseNot())
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(ChatTemplateError) -> JinjaExpression {
        var left = try parseMath1()
        while true {
            switch current.kind {
            case .op(let op) where ["==", "!=", "<", "<=", ">", ">="].contains(op):
                _ = advance()
                left = .binary(op, left, try parseMath1())
            case .name("in"):
                _ = advance()
                left = .binary("in", left, try parseMath1())
            case .name("not") where index + 1 < tokens.count && tokens[index + 1].kind == .name("in"):
                _ = advance(); _ = advance()
                left = .binary("not in", left, try parseMath1())
            default:
                return left
            }
        }
    }

    private mutating func parseMath1() throws(ChatTemplateError) -> JinjaExpression {
        var left = try parseConcat()
        while case .op(let op) = current.kind, op == "+" || op == "-" {
            _ = advance()
            left = .binary(op, left, try parseConcat())
        }
        return left
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> JinjaExpression {
        var left = try parseMath2()
        while case .op("~") = current.kind {
            _ = advance()
            left = .binary("~", left, try parseMath2())
        }
        return left
    }

    private mutating func parseMath2() throws(ChatTemplateError) -> JinjaExpression {
        var left = try parsePow()
        while case .op(let op) = current.kind, ["*", "/", "//", "%"].contains(op) {
            _ = advance()
            left = .binary(op, left, try parsePow())
        }
        return left
    }

    private mutating func parsePow() throws(ChatTemplateError) -> JinjaExpression {
        var left = try parseUnary(withFilters: true)
        while case .op("**") = current.kind {
            _ = advance()
            left = .binary("**", left, try parseUnary(withFilters: true))
        }
        return left
    }

    private mutating func parseUnary(withFilters: Bool) throws(ChatTemplateError) -> JinjaExpression {
        var node: JinjaExpression
        if case .op(let op) = current.kind, op == "-" || op == "+" {
            _ = advance()
            node = .unary(op, try parseUnary(withFilters: false))
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilters { node = try parseFiltersAndTests(node) }
        return node
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> JinjaExpression {
        let token = advance()
        switch token.kind {
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current.kind { s += more; _ = advance() }
            return .literal(.string(s))
        case .integer(let i): return .literal(.int(i))
        case .float(let d): return .literal(.double(d))
        case .op("("):
            if case .op(")") = current.kind { _ = advance(); return .tuple([]) }
            let first = try parseExpression()
            guard case .op(",") = current.kind else {
                try expectOp(")")
                return first
            }
            var items = [first]
            while case .op(",") = current.kind {
                _ = advance()
                if case .op(")") = current.kind { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            var items: [JinjaExpression] = []
            while true {
                if case .op("]") = current.kind { _ = advance(); break }
                items.append(try parseExpression())
                if case .op(",") = current.kind { _ = advance(); continue }
                try expectOp("]")
                break
            }
            return .list(items)
        case .op("{"):
            var pairs: [(key: JinjaExpression, value: JinjaExpression)] = []
            while true {
                if case .op("}") = current.kind { _ = advance(); break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
                if case .op(",") = current.kind { _ = advance(); continue }
                try expectOp("}")
                break
            }
            return .dictionary(pairs)
        default:
            throw error(at: token, "expected a value, found \(describe(token))")
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpression) throws(ChatTemplateError) -> JinjaExpression {
        var node = base
        while true {
            switch current.kind {
            case .op("."):
                _ = advance()
                let t = advance()
                switch t.kind {
                case .name(let n): node = .attribute(node, n)
                case .integer(let i): node = .item(node, .literal(.int(i)))
                default: throw error(at: t, "expected an attribute name after '.', found \(describe(t))")
                }
            case .op("["):
                _ = advance()
                node = try parseSubscript(node)
            case .op("("):
                node = .call(node, try parseCallArguments())
            default:
                return node
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpression) throws(ChatTemplateError) -> JinjaExpression {
        var parts: [JinjaExpression?] = [nil]
        var isSlice = false
        while true {
            switch current.kind {
            case .op(":"):
                _ = advance()
                isSlice = true
                guard parts.count < 3 else { throw error(at: current, "a slice takes at most three parts") }
                parts.append(nil)
            case .op("]"):
                _ = advance()
                if !isSlice {
                    guard let e = parts[0] else { throw error(at: current, "empty subscript") }
                    return .item(base, e)
                }
                while parts.count < 3 { parts.append(nil) }
                return .slice(base, start: parts[0], stop: parts[1], step: parts[2])
            default:
                guard parts[parts.count - 1] == nil else { throw error(at: current, "expected ':' or ']' in the subscript, found \(describe(current))") }
                parts[parts.count - 1] = try parseExpression()
            }
        }
    }

    private mutating func parseCallArguments() throws(ChatTemplateError) -> JinjaArguments {
        try expectOp("(")
        var arguments = JinjaArguments()
        while true {
            if case .op(")") = current.kind { _ = advance(); return arguments }
            if case .name(let n) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                _ = advance(); _ = advance()
                arguments.keyword.append((n, try parseExpression()))
            } else {
                guard arguments.keyword.isEmpty else { throw error(at: current, "a positional argument follows a keyword argument") }
                arguments.positional.append(try parseExpression())
            }
            if case .op(",") = current.kind { _ = advance(); continue }
            guard case .op(")") = current.kind else { throw error(at: current, "expected ',' or ')' in the arguments, found \(describe(current))") }
        }
    }

    private mutating func parseFiltersAndTests(_ base: JinjaExpression) throws(ChatTemplateError) -> JinjaExpression {
        var node = base
        while true {
            switch current.kind {
            case .op("|"):
                _ = advance()
                let line = current.line
                let name = try expectDottedName()
                var arguments = JinjaArguments()
                if case .op("(") = current.kind { arguments = try parseCallArguments() }
                node = .filter(node, name: name, arguments, line: line)
            case .name("is"):
                _ = advance()
                var negated = false
                if case .name("not") = current.kind { _ = advance(); negated = true }
                let line = current.line
                let name = try expectDottedName()
                var arguments = JinjaArguments()
                switch current.kind {
                case .op("("):
                    arguments = try parseCallArguments()
                case .name(let n) where !["else", "or", "and"].contains(n):
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                case .string, .integer, .float, .op("["), .op("{"):
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                default:
                    break
                }
                node = .test(node, name: name, arguments, negated: negated, line: line)
            case .op("("):
                node = .call(node, try parseCallArguments())
            default:
                return node
            }
        }
    }

    // MARK: helpers

    private mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let n) = current.kind else { throw error(at: current, "expected a name, found \(describe(current))") }
        _ = advance()
        return n
    }

    /// Filter and test names (`==` and friends are test names too: `x is == 3` is legal jinja).
    private mutating func expectDottedName() throws(ChatTemplateError) -> String {
        switch current.kind {
        case .name(var n):
            _ = advance()
            while case .op(".") = current.kind, case .name(let more) = tokens[index + 1].kind {
                _ = advance(); _ = advance()
                n += "." + more
            }
            return n
        case .op(let op) where ["==", "!=", "<", "<=", ">", ">="].contains(op):
            _ = advance()
            return op
        default:
            throw error(at: current, "expected a filter or test name, found \(describe(current))")
        }
    }

    private mutating func expectOp(_ op: String) throws(ChatTemplateError) {
        guard case .op(op) = current.kind else { throw error(at: current, "expected '\(op)', found \(describe(current))") }
        _ = advance()
    }

    private mutating func expectEnd(_ kind: JinjaToken.Kind, _ text: String) throws(ChatTemplateError) {
        guard current.kind == kind else { throw error(at: current, "expected '\(text)' to end the tag, found \(describe(current))") }
        _ = advance()
    }

    private func describe(_ token: JinjaToken) -> String {
        switch token.kind {
        case .text: "text"
        case .variableStart: "'{{'"
        case .variableEnd: "'}}'"
        case .blockStart: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let n): "'\(n)'"
        case .string(let s): "the string \(PythonString.repr(s))"
        case .integer(let i): "the number \(i)"
        case .float(let d): "the number \(PythonFloat.repr(d))"
        case .op(let op): "'\(op)'"
        case .end: "the end of the template"
        }
    }

    private func error(at token: JinjaToken, _ message: String) -> ChatTemplateError {
        .syntax(line: token.line, column: token.column, message: message)
    }
}
