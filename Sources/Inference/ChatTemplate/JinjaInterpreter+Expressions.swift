// Expression evaluation with Python's operators and jinja2's attribute/item lookup and Undefined rules.
import Foundation

extension JinjaInterpreter {
    func evaluate(_ expression: JinjaExpression, scope: JinjaScope) throws(ChatTemplateError) -> JinjaValue {
        switch expression {
        case .literal(let v):
            return v
        case .name(let n):
            if let v = scope.lookup(n) { return v }
            if JinjaInterpreter.globalNames.contains(n) { return .callable(JinjaCallable(.builtin(n))) }
            return .undefinedName(n)
        case .list(let items):
            var out: [JinjaValue] = []
            for e in items { out.append(try evaluate(e, scope: scope)) }
            return .array(out)
        case .tuple(let items):
            var out: [JinjaValue] = []
            for e in items { out.append(try evaluate(e, scope: scope)) }
            return .tuple(out)
        case .dictionary(let pairs):
            var d = JinjaDictionary()
            for p in pairs {
                let key = try evaluate(p.key, scope: scope)
                d[key.pythonString] = try evaluate(p.value, scope: scope)
            }
            return .dictionary(d)
        case .attribute(let base, let name):
            return try attribute(name, of: try evaluate(base, scope: scope))
        case .item(let base, let key):
            return try item(try evaluate(key, scope: scope), of: try evaluate(base, scope: scope))
        case .slice(let base, let start, let stop, let step):
            let value = try evaluate(base, scope: scope)
            return try slice(value, start: try start.map { e throws(ChatTemplateError) in try evaluate(e, scope: scope) },
                             stop: try stop.map { e throws(ChatTemplateError) in try evaluate(e, scope: scope) },
                             step: try step.map { e throws(ChatTemplateError) in try evaluate(e, scope: scope) })
        case .call(let callee, let arguments):
            let args = try evaluateArguments(arguments, scope: scope)
            if case .attribute(let objectExpression, let method) = callee {
                let object = try evaluate(objectExpression, scope: scope)
                if let result = try callMethod(method, on: object, arguments: args) { return result }
                return try call(try attribute(method, of: object), arguments: args)
            }
            return try call(try evaluate(callee, scope: scope), arguments: args)
        case .filter(let base, let name, let arguments, let l):
            let value = try evaluate(base, scope: scope)
            let args = try evaluateArguments(arguments, scope: scope)
            line = l
            return try applyFilter(name, to: value, arguments: args)
        case .test(let base, let name, let arguments, let negated, let l):
            let value = try evaluate(base, scope: scope)
            let args = try evaluateArguments(arguments, scope: scope)
            line = l
            return .bool(try applyTest(name, to: value, arguments: args) != negated)
        case .unary(let op, let operand):
            let v = try evaluate(operand, scope: scope)
            switch op {
            case "not": return .bool(!v.isTruthy)
            default:
                if case .undefined(let message) = v { throw fail(message) }
                switch v {
                case .int(let i): return .int(op == "-" ? -i : i)
                case .double(let d): return .double(op == "-" ? -d : d)
                case .bool(let b): return .int(op == "-" ? -(b ? 1 : 0) : (b ? 1 : 0))
                default: throw fail("bad operand type for unary \(op): '\(v.typeName)'")
                }
            }
        case .binary(let op, let l, let r):
            return try binary(op, try evaluate(l, scope: scope), try evaluate(r, scope: scope))
        case .compare(let first, let rest):
            var left = try evaluate(first, scope: scope)
            for link in rest {
                let right = try evaluate(link.operand, scope: scope)
                if !(try binary(link.op, left, right).isTruthy) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let l, let r):
            let left = try evaluate(l, scope: scope)
            return left.isTruthy ? try evaluate(r, scope: scope) : left
        case .or(let l, let r):
            let left = try evaluate(l, scope: scope)
            return left.isTruthy ? left : try evaluate(r, scope: scope)
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition, scope: scope).isTruthy { return try evaluate(value, scope: scope) }
            if let otherwise { return try evaluate(otherwise, scope: scope) }
            return .undefined("the inline if-expression on line \(line) evaluated to false and no else section was defined")
        }
    }

    /// `obj.name`: dict items, namespace attributes; anything else is Undefined (None's too). Undefined raises.
    func attribute(_ name: String, of value: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        switch value {
        case .undefined(let message): throw fail(message)
        case .dictionary(let d): return d[name] ?? missingAttribute(name, of: value)
        case .namespace(let ns): return ns.attributes[name] ?? missingAttribute(name, of: value)
        default: return missingAttribute(name, of: value)
        }
    }

    /// `obj[key]`: list/tuple/string by (negative) index, dict by key; a string key falls back to attributes.
    func item(_ key: JinjaValue, of value: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        if case .undefined(let message) = value { throw fail(message) }
        if case .undefined(let message) = key { throw fail(message) }
        switch (value, key) {
        case (.dictionary(let d), .string(let k)):
            return d[k] ?? missingAttribute(k, of: value)
        case (.dictionary(let d), _):
            return d[key.pythonString] ?? missingElement(key, of: value)
        case (.array(let a), _), (.tuple(let a), _):
            guard let i = index(key) else { break }
            let j = i < 0 ? i + a.count : i
            guard j >= 0, j < a.count else { return missingElement(key, of: value) }
            return a[j]
        case (.string(let s), _):
            guard let i = index(key) else { break }
            let scalars = Array(s.unicodeScalars)
            let j = i < 0 ? i + scalars.count : i
            guard j >= 0, j < scalars.count else { return missingElement(key, of: value) }
            return .string(String(scalars[j]))
        default:
            break
        }
        if case .string(let name) = key { return try attribute(name, of: value) }
        return missingElement(key, of: value)
    }

    /// jinja2's wording: "'dict object' has no attribute 'x'", "'None' has no attribute 'x'".
    private func missingAttribute(_ name: String, of value: JinjaValue) -> JinjaValue {
        .undefined("'\(objectTypeName(value))' has no attribute \(PythonString.repr(name))")
    }

    /// jinja2's wording for non-string keys: "list object has no element 0" (no quotes on the type).
    private func missingElement(_ key: JinjaValue, of value: JinjaValue) -> JinjaValue {
        .undefined("\(objectTypeName(value)) has no element \(key.pythonRepr)")
    }

    private func objectTypeName(_ value: JinjaValue) -> String {
        if case .none = value { return "None" }
        return "\(value.typeName) object"
    }

    private func index(_ key: JinjaValue) -> Int? {
        switch key {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Python slicing `value[start:stop:step]` on lists, tuples and strings.
    func slice(_ value: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws(ChatTemplateError) -> JinjaValue {
        func bound(_ v: JinjaValue?) throws(ChatTemplateError) -> Int? {
            guard let v else { return nil }
            switch v {
            case .none: return nil
            case .undefined(let m): throw fail(m)
            default:
                guard let i = index(v) else { throw fail("slice indices must be integers or None, not '\(v.typeName)'") }
                return i
            }
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw fail("slice step cannot be zero") }
        func pick<T>(_ items: [T]) throws(ChatTemplateError) -> [T] {
            let n = items.count
            func clamp(_ i: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += n }
                return min(max(i, low), high)
            }
            var out: [T] = []
            if stepValue > 0 {
                var i = clamp(try bound(start), 0, low: 0, high: n)
                let end = clamp(try bound(stop), n, low: 0, high: n)
                while i < end { out.append(items[i]); i += stepValue }
            } else {
                var i = clamp(try bound(start), n - 1, low: -1, high: n - 1)
                let end = clamp(try bound(stop), -1, low: -1, high: n - 1)
                while i > end { out.append(items[i]); i += stepValue }
            }
            return out
        }
        switch value {
        case .undefined(let message): throw fail(message)
        case .array(let a): return .array(try pick(a))
        case .tuple(let a): return .tuple(try pick(a))
        case .string(let s): return .string(PythonString.string(try pick(Array(s.unicodeScalars))))
        case .none: return .undefined("'None' has no attribute '__getitem__'")
        default: throw fail("'\(value.typeName)' object is not subscriptable")
        }
    }

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        switch op {
        case "==": return .bool(a.pythonEquals(b))
        case "!=": return .bool(!a.pythonEquals(b))
        case "~": return .string(a.pythonString + b.pythonString)
        case "in": return .bool(try contains(b, a))
        case "not in": return .bool(!(try contains(b, a)))
        default: break
        }
        if case .undefined(let message) = a { throw fail(message) }
        if case .undefined(let message) = b { throw fail(message) }
        switch op {
        case "<", "<=", ">", ">=":
            let (x, y) = op.hasPrefix("<") ? (a, b) : (b, a)
            guard let less = x.pythonLess(y) else {
                throw fail("'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
            }
            return .bool(op.count == 2 ? (less || a.pythonEquals(b)) : less)
        default:
            return try arithmetic(op, a, b)
        }
    }

    private func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(ChatTemplateError) -> JinjaValue {
        let unsupported = fail("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)):
            // Repeated `s = s + s` would otherwise grow without bound before anything is output.
            guard x.utf8.count + y.utf8.count <= limits.maxOutputBytes else { throw fail("the concatenated string would be too long") }
            return .string(x + y)
        case ("+", .string, _): throw fail("can only concatenate str (not \"\(b.typeName)\") to str")
        case ("+", .array(let x), .array(let y)): return .array(x + y)
        case ("+", .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case ("+", .array, _): throw fail("can only concatenate list (not \"\(b.typeName)\") to list")
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard let n = index(a) ?? index(b) else { throw fail("can't multiply sequence by non-int of type '\(a.typeName == "str" ? b.typeName : a.typeName)'") }
            guard n <= limits.maxRangeLength else { throw fail("the repeated string would be too long") }
            return .string(String(repeating: s, count: max(0, n)))
        case ("*", .array(let l), _), ("*", _, .array(let l)):
            guard let n = index(a) ?? index(b) else { throw unsupported }
            guard n <= limits.maxRangeLength else { throw fail("the repeated list would be too long") }
            return .array(Array([[JinjaValue]](repeating: l, count: max(0, n)).joined()))
        default: break
        }
        // Numbers: int op int stays int (except /); anything with a float is float.
        if let x = index(a), let y = index(b) {
            switch op {
            case "+": let (r, o) = x.addingReportingOverflow(y); if !o { return .int(r) }
            case "-": let (r, o) = x.subtractingReportingOverflow(y); if !o { return .int(r) }
            case "*": let (r, o) = x.multipliedReportingOverflow(by: y); if !o { return .int(r) }
            case "/":
                guard y != 0 else { throw fail("division by zero") }
                return .double(Double(x) / Double(y))
            case "//":
                guard y != 0 else { throw fail("integer division or modulo by zero") }
                let q = x / y
                return .int((x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q)
            case "%":
                guard y != 0 else { throw fail("integer division or modulo by zero") }
                let r = x % y
                return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case "**":
                if y >= 0 {
                    if x == 0 || x == 1 { return .int(y == 0 ? 1 : x) }
                    if x == -1 { return .int(y % 2 == 0 ? 1 : -1) }
                    // |x| >= 2 overflows within 64 steps, so the loop is short.
                    var result = 1
                    for _ in 0..<y {
                        let (r, o) = result.multipliedReportingOverflow(by: x)
                        if o { throw fail("\(x) ** \(y) is too large") }
                        result = r
                    }
                    return .int(result)
                }
                return .double(pow(Double(x), Double(y)))
            default: throw unsupported
            }
            throw fail("integer overflow in \(x) \(op) \(y)")
        }
        guard let x = a.numericValue, let y = b.numericValue else { throw unsupported }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw fail("float division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw fail("float floor division by zero") }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw fail("float modulo") }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case "**": return .double(pow(x, y))
        default: throw unsupported
        }
    }

    /// Python's `needle in container`.
    func contains(_ container: JinjaValue, _ needle: JinjaValue) throws(ChatTemplateError) -> Bool {
        switch container {
        case .undefined: return false
        case .string(let s):
            guard case .string(let n) = needle else {
                throw fail("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return PythonString.contains(s, n)
        case .array(let a), .tuple(let a): return a.contains { $0.pythonEquals(needle) }
        case .dictionary(let d):
            guard case .string(let k) = needle else { return false }
            return d[k] != nil
        case .namespace(let ns):
            guard case .string(let k) = needle else { return false }
            return ns.attributes[k] != nil
        default:
            throw fail("argument of type '\(container.typeName)' is not iterable")
        }
    }
}
