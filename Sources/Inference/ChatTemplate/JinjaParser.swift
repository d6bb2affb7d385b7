// Recursive-descent parser from tokens to the syntax tree, with jinja2's operator precedence.

struct JinjaParser {
    let tokens: [JinjaToken]
    var index = 0
    /// True inside `{% if %}` (condition and branches) but not inside loops or macros below it: jinja2 compiles
    /// those "soft" frames so that an unknown filter or test there fails only if it is evaluated.
    var inConditional = false

    init(tokens: [JinjaToken]) { self.tokens = tokens }

    /// Parses a whole template.
    mutating func parseTemplate() throws(ChatTemplateError) -> [JinjaNode] {
        let (body, endTag) = try parseBody(until: [])
        if let endTag { throw error(at: endTag.token, "unexpected '\(endTag.name)' with no open block to close") }
        return body
    }

    // MARK: statements

    var current: JinjaToken { tokens[index] }

    mutating func advance() -> JinjaToken {
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
        let outer = inConditional
        inConditional = true
        defer { inConditional = outer }
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
        let outer = inConditional
        defer { inConditional = outer }
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
        inConditional = false
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
            let nameToken = current
            let name = try expectName()
            guard inConditional || JinjaInterpreter.filterNames.contains(name) else { throw error(at: nameToken, "no filter named '\(name)'") }
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
        let outer = inConditional
        defer { inConditional = outer }
        let name = try expectName()
        guard case .op("(") = current.kind else { throw error(at: current, "expected '(' after the macro name '\(name)'") }
        inConditional = false
        let parameters = try parseMacroSignature(name: name)
        try expectEnd(.blockEnd, "%}")
        let (body, _) = try parseBlockBody(until: ["endmacro"], opened: opened)
        try expectEnd(.blockEnd, "%}")
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body), line: line)
    }

    private mutating func parseCall(line: Int) throws(ChatTemplateError) -> JinjaNode {
        let opened = tokens[index - 1]
        let outer = inConditional
        defer { inConditional = outer }
        let parameters = try parseMacroSignature(name: "caller")
        let call = try parseExpression()
        guard case .call = call else { throw error(at: opened, "'call' must be followed by a macro call") }
        try expectEnd(.blockEnd, "%}")
        inConditional = false
        let (body, _) = try parseBlockBody(until: ["endcall"], opened: opened)
        try expectEnd(.blockEnd, "%}")
        return .callBlock(call, caller: JinjaMacro(name: "caller", parameters: parameters, body: body), line: line)
    }

    // MARK: helpers

    mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let n) = current.kind else { throw error(at: current, "expected a name, found \(describe(current))") }
        _ = advance()
        return n
    }

    /// Filter and test names (`==` and friends are test names too: `x is == 3` is legal jinja).
    mutating func expectDottedName() throws(ChatTemplateError) -> String {
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

    mutating func expectOp(_ op: String) throws(ChatTemplateError) {
        guard case .op(op) = current.kind else { throw error(at: current, "expected '\(op)', found \(describe(current))") }
        _ = advance()
    }

    mutating func expectEnd(_ kind: JinjaToken.Kind, _ text: String) throws(ChatTemplateError) {
        guard current.kind == kind else { throw error(at: current, "expected '\(text)' to end the tag, found \(describe(current))") }
        _ = advance()
    }

    func describe(_ token: JinjaToken) -> String {
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

    func error(at token: JinjaToken, _ message: String) -> ChatTemplateError {
        .syntax(line: token.line, column: token.column, message: message)
    }
}
