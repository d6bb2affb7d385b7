// Expression parsing with jinja2's precedence: if-else < or < and < not < comparisons < + - < ~ < * / // % < ** < unary,
// then postfix (. [] ()) and filters/tests (| is), which bind tighter than any binary operator.

extension JinjaParser {
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

    mutating func parseOr() throws(ChatTemplateError) -> JinjaExpression {
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

    /// Comparisons chain like Python's: `a < b < c` means `a < b and b < c`.
    private mutating func parseCompare() throws(ChatTemplateError) -> JinjaExpression {
        let first = try parseMath1()
        var rest: [(op: String, operand: JinjaExpression)] = []
        while true {
            switch current.kind {
            case .op(let op) where ["==", "!=", "<", "<=", ">", ">="].contains(op):
                _ = advance()
                rest.append((op, try parseMath1()))
            case .name("in"):
                _ = advance()
                rest.append(("in", try parseMath1()))
            case .name("not") where index + 1 < tokens.count && tokens[index + 1].kind == .name("in"):
                _ = advance(); _ = advance()
                rest.append(("not in", try parseMath1()))
            default:
                if rest.isEmpty { return first }
                if rest.count == 1 { return .binary(rest[0].op, first, rest[0].operand) }
                return .compare(first, rest)
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

    mutating func parseCallArguments() throws(ChatTemplateError) -> JinjaArguments {
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
                let nameToken = current
                let name = try expectDottedName()
                guard inConditional || JinjaInterpreter.filterNames.contains(name) else { throw error(at: nameToken, "no filter named '\(name)'") }
                var arguments = JinjaArguments()
                if case .op("(") = current.kind { arguments = try parseCallArguments() }
                node = .filter(node, name: name, arguments, line: nameToken.line)
            case .name("is"):
                _ = advance()
                var negated = false
                if case .name("not") = current.kind { _ = advance(); negated = true }
                let nameToken = current
                let name = try expectDottedName()
                guard inConditional || JinjaInterpreter.testNames.contains(name) else { throw error(at: nameToken, "no test named '\(name)'") }
                let line = nameToken.line
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
}
