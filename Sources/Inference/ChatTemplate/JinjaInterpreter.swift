// Runs a parsed template: statements, scopes and loops. Expression evaluation is in JinjaInterpreter+Expressions.

/// One level of variables. jinja2 gives each loop iteration and each macro call its own level, so
/// `{% set %}` inside a loop is forgotten after the iteration (use a namespace to carry values out).
final class JinjaScope {
    private var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?

    init(parent: JinjaScope?) { self.parent = parent }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: JinjaValue) { variables[name] = value }
}

/// Limits that keep an untrusted template (GGUF metadata is untrusted input) from running away.
struct JinjaLimits {
    var maxCallDepth = 64
    var maxRangeLength = 100_000
    var maxOutputBytes = 64 << 20
    /// Loop iterations over the whole render (nested loops multiply; this bounds the product).
    var maxLoopIterations = 1_000_000
}

final class JinjaInterpreter {
    enum Flow { case normal, breakLoop, continueLoop }

    let limits: JinjaLimits
    /// The line of the statement being run, for runtime error messages.
    var line = 1
    var callDepth = 0
    var loopIterations = 0

    init(limits: JinjaLimits = JinjaLimits()) { self.limits = limits }

    func fail(_ message: String) -> ChatTemplateError { .runtime(line: line, message: message) }

    func render(_ nodes: [JinjaNode], scope: JinjaScope) throws(ChatTemplateError) -> String {
        var out = ""
        _ = try run(nodes, scope: scope, into: &out)
        return out
    }

    func run(_ nodes: [JinjaNode], scope: JinjaScope, into out: inout String) throws(ChatTemplateError) -> Flow {
        for node in nodes {
            switch node {
            case .text(let s):
                out += s
            case .output(let e, let l):
                line = l
                out += try evaluate(e, scope: scope).pythonString
            case .ifBlock(let branches, let otherwise, let l):
                line = l
                var taken = false
                for branch in branches {
                    guard try evaluate(branch.condition, scope: scope).isTruthy else { continue }
                    taken = true
                    let flow = try run(branch.body, scope: scope, into: &out)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try run(otherwise, scope: scope, into: &out)
                    if flow != .normal { return flow }
                }
            case .forLoop(let targets, let iterable, let condition, let body, let otherwise, let l):
                line = l
                try runLoop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise,
                            scope: scope, into: &out)
            case .set(let target, let e, let l):
                line = l
                try assign(try evaluate(e, scope: scope), to: target, scope: scope)
            case .setBlock(let name, let filters, let body, let l):
                var captured = ""
                _ = try run(body, scope: scope, into: &captured)
                line = l
                var value = JinjaValue.string(captured)
                for f in filters {
                    value = try applyFilter(f.name, to: value, arguments: try evaluateArguments(f.arguments, scope: scope))
                }
                scope.set(name, value)
            case .macro(let macro, _):
                scope.set(macro.name, .callable(JinjaCallable(.macro(macro, closure: scope))))
            case .callBlock(let invocation, let caller, let l):
                line = l
                guard case .call(let callee, let arguments) = invocation else { throw fail("'call' needs a macro call") }
                let function = try evaluate(callee, scope: scope)
                let callerValue = JinjaValue.callable(JinjaCallable(.macro(caller, closure: scope)))
                let result = try call(function, arguments: try evaluateArguments(arguments, scope: scope), caller: callerValue)
                out += result.pythonString
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
            if out.utf8.count > limits.maxOutputBytes { throw fail("the output is larger than \(limits.maxOutputBytes) bytes") }
        }
        return .normal
    }

    private func runLoop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode],
                         otherwise: [JinjaNode], scope: JinjaScope, into out: inout String) throws(ChatTemplateError) {
        var items = try iterate(try evaluate(iterable, scope: scope))
        if let condition {
            // The loop filter runs first, so loop.length and loop.last count only the kept items.
            var kept: [JinjaValue] = []
            for item in items {
                let probe = JinjaScope(parent: scope)
                try bind(targets, to: item, in: probe)
                if try evaluate(condition, scope: probe).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try run(otherwise, scope: scope, into: &out)
            return
        }
        for (i, item) in items.enumerated() {
            loopIterations += 1
            guard loopIterations <= limits.maxLoopIterations else {
                throw fail("the template ran more than \(limits.maxLoopIterations) loop iterations")
            }
            let frame = JinjaScope(parent: scope)
            try bind(targets, to: item, in: frame)
            var loop = JinjaDictionary()
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(items.count - i)
            loop["revindex0"] = .int(items.count - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == items.count - 1)
            loop["length"] = .int(items.count)
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            if i > 0 { loop["previtem"] = items[i - 1] }
            if i + 1 < items.count { loop["nextitem"] = items[i + 1] }
            loop["cycle"] = .callable(JinjaCallable(.loopCycle(index0: i)))
            frame.set("loop", .dictionary(loop))
            if try run(body, scope: frame, into: &out) == .breakLoop { break }
        }
    }

    /// What `for` iterates: lists, tuples, strings (code points), dict keys; Undefined is empty.
    func iterate(_ value: JinjaValue) throws(ChatTemplateError) -> [JinjaValue] {
        switch value {
        case .undefined: return []
        case .array(let a), .tuple(let a): return a
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .dictionary(let d): return d.keys.map { .string($0) }
        case .namespace(let ns): return ns.attributes.keys.map { .string($0) }
        default: throw fail("'\(value.typeName)' object is not iterable")
        }
    }

    private func bind(_ targets: [String], to value: JinjaValue, in scope: JinjaScope) throws(ChatTemplateError) {
        if targets.count == 1 {
            scope.set(targets[0], value)
            return
        }
        let parts = try iterate(value)
        guard parts.count == targets.count else {
            throw fail(parts.count < targets.count
                ? "not enough values to unpack (expected \(targets.count), got \(parts.count))"
                : "too many values to unpack (expected \(targets.count))")
        }
        for (name, part) in zip(targets, parts) { scope.set(name, part) }
    }

    private func assign(_ value: JinjaValue, to target: JinjaAssignTarget, scope: JinjaScope) throws(ChatTemplateError) {
        switch target {
        case .names(let names):
            try bind(names, to: value, in: scope)
        case .attribute(let name, let attribute):
            guard case .namespace(let ns) = scope.lookup(name) ?? .undefinedName(name) else {
                throw fail("cannot assign attribute '\(attribute)' on '\(name)': only namespace() objects accept attributes")
            }
            guard !attribute.hasPrefix("_") else {
                throw fail("chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attribute)'")
            }
            ns.attributes[attribute] = value
        }
    }

    // MARK: calls

    struct Arguments {
        var positional: [JinjaValue] = []
        var keyword: [(name: String, value: JinjaValue)] = []

        func keywordValue(_ name: String) -> JinjaValue? { keyword.first { $0.name == name }?.value }

        /// The argument at `position`, or the keyword `name`.
        func value(_ position: Int, _ name: String) -> JinjaValue? {
            position < positional.count ? positional[position] : keywordValue(name)
        }
    }

    func evaluateArguments(_ arguments: JinjaArguments, scope: JinjaScope) throws(ChatTemplateError) -> Arguments {
        var out = Arguments()
        for e in arguments.positional { out.positional.append(try evaluate(e, scope: scope)) }
        for k in arguments.keyword { out.keyword.append((k.name, try evaluate(k.value, scope: scope))) }
        return out
    }

    func call(_ function: JinjaValue, arguments: Arguments, caller: JinjaValue? = nil) throws(ChatTemplateError) -> JinjaValue {
        switch function {
        case .undefined(let message):
            throw fail(message)
        case .callable(let c):
            switch c.kind {
            case .builtin(let name):
                return try callGlobal(name, arguments: arguments)
            case .macro(let macro, let closure):
                return try callMacro(macro, closure: closure, arguments: arguments, caller: caller)
            case .loopCycle(let index0):
                guard !arguments.positional.isEmpty else { throw fail("no items for cycling given") }
                return arguments.positional[index0 % arguments.positional.count]
            }
        default:
            throw fail("'\(function.typeName)' object is not callable")
        }
    }

    private func callMacro(_ macro: JinjaMacro, closure: JinjaScope, arguments: Arguments, caller: JinjaValue?) throws(ChatTemplateError) -> JinjaValue {
        guard callDepth < limits.maxCallDepth else { throw fail("macros nest deeper than \(limits.maxCallDepth) calls") }
        guard arguments.positional.count <= macro.parameters.count else {
            throw fail("macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)")
        }
        let frame = JinjaScope(parent: closure)
        for k in arguments.keyword where !macro.parameters.contains(where: { $0.name == k.name }) {
            throw fail("macro '\(macro.name)' takes no keyword argument '\(k.name)'")
        }
        for (i, p) in macro.parameters.enumerated() {
            if let v = arguments.value(i, p.name) {
                frame.set(p.name, v)
            } else if let d = p.defaultValue {
                frame.set(p.name, try evaluate(d, scope: frame))
            } else {
                frame.set(p.name, .undefined("parameter '\(p.name)' was not provided"))
            }
        }
        if let caller { frame.set("caller", caller)}
        let savedLine = line
        callDepth += 1
        defer { callDepth -= 1; line = savedLine }
        return .string(try render(macro.body, scope: frame))
    }
}
