// Python methods templates call on values: str.strip/split/startswith..., dict.items/get..., list.index/count.

extension JinjaInterpreter {
    /// The result of `object.method(arguments)`, or nil when `object` has no such method (the caller then
    /// falls back to attribute lookup, which yields jinja2's "has no attribute" Undefined).
    func callMethod(_ method: String, on object: JinjaValue, arguments a: Arguments) throws(ChatTemplateError) -> JinjaValue? {
        switch object {
        case .undefined(let message):
            throw fail(message)
        case .string(let s):
            return try stringMethod(method, s, a)
        case .dictionary(let d):
            switch method {
            case "items": return .array(d.pairs.map { .tuple([.string($0.key), $0.value]) })
            case "keys": return .array(d.keys.map { .string($0) })
            case "values": return .array(d.values)
            case "get":
                guard let key = a.value(0, "key") else { throw fail("get() needs a key") }
                return d[key.pythonString] ?? a.value(1, "default") ?? JinjaValue.none
            default: return nil
            }
        case .array(let items), .tuple(let items):
            switch method {
            case "index":
                guard let needle = a.positional.first else { throw fail("index() needs an argument") }
                guard let i = items.firstIndex(where: { $0.pythonEquals(needle) }) else { throw fail("\(needle.pythonRepr) is not in list") }
                return .int(i)
            case "count":
                guard let needle = a.positional.first else { throw fail("count() needs an argument") }
                return .int(items.filter { $0.pythonEquals(needle) }.count)
            case "append", "extend", "pop", "insert", "remove", "clear", "sort", "reverse":
                // transformers renders in jinja2's ImmutableSandboxedEnvironment, which forbids mutating lists.
                throw fail("access to attribute '\(method)' of '\(object.typeName)' object is unsafe")
            default: return nil
            }
        default:
            return nil
        }
    }

    private func stringMethod(_ method: String, _ s: String, _ a: Arguments) throws(ChatTemplateError) -> JinjaValue? {
        func text(_ i: Int, _ name: String) -> String? {
            guard let v = a.value(i, name), !v.isUndefined else { return nil }
            if case .none = v { return nil }
            return v.pythonString
        }
        switch method {
        case "strip", "lstrip", "rstrip":
            return .string(PythonString.strip(s, chars: text(0, "chars"), leading: method != "rstrip", trailing: method != "lstrip"))
        case "split":
            let maxSplit = a.value(1, "maxsplit").flatMap { if case .int(let n) = $0 { n } else { nil } } ?? -1
            let separator = text(0, "sep")
            if separator == "" { throw fail("empty separator") }
            return .array(PythonString.split(s, separator: separator, maxSplit: maxSplit).map { .string($0) })
        case "splitlines":
            return .array(pythonSplitLines(s).map { .string($0) })
        case "startswith", "endswith":
            guard let arg = a.positional.first else { throw fail("\(method)() needs an argument") }
            let candidates: [JinjaValue]
            if case .tuple(let t) = arg { candidates = t } else { candidates = [arg] }
            let scalars = Array(s.unicodeScalars)
            for candidate in candidates {
                guard case .string(let c) = candidate else {
                    throw fail("\(method) first arg must be str or a tuple of str, not \(candidate.typeName)")
                }
                let cs = Array(c.unicodeScalars)
                if method == "startswith" ? scalars.starts(with: cs) : scalars.reversed().starts(with: cs.reversed()) { return .bool(true) }
            }
            return .bool(false)
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "title": return .string(PythonString.title(s))
        case "capitalize": return .string(PythonString.capitalize(s))
        case "replace":
            guard let old = text(0, "old"), let new = text(1, "new") else { throw fail("replace() needs two arguments") }
            let count = a.value(2, "count").flatMap { if case .int(let n) = $0 { n } else { nil } } ?? -1
            return .string(PythonString.replace(s, old, new, count: count))
        case "find":
            guard let needle = text(0, "sub") else { throw fail("find() needs an argument") }
            return .int(PythonString.find(s, needle))
        case "count":
            guard let needle = text(0, "sub") else { throw fail("count() needs an argument") }
            return .int(PythonString.count(s, needle))
        case "join":
            guard let items = a.positional.first else { throw fail("join() needs an argument") }
            return .string(try iterate(items).map(\.pythonString).joined(separator: s))
        case "removeprefix", "removesuffix":
            guard let affix = text(0, method == "removeprefix" ? "prefix" : "suffix") else { throw fail("\(method)() needs an argument") }
            let scalars = Array(s.unicodeScalars), cs = Array(affix.unicodeScalars)
            if method == "removeprefix", scalars.starts(with: cs) { return .string(PythonString.string(scalars.dropFirst(cs.count))) }
            if method == "removesuffix", !cs.isEmpty, scalars.reversed().starts(with: cs.reversed()) {
                return .string(PythonString.string(scalars.dropLast(cs.count)))
            }
            return .string(s)
        case "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper":
            let scalars = Array(s.unicodeScalars)
            guard !scalars.isEmpty else { return .bool(false) }
            switch method {
            case "isdigit": return .bool(scalars.allSatisfy { $0.properties.numericType != nil && $0.properties.numericType != .numeric })
            case "isalpha": return .bool(scalars.allSatisfy { $0.properties.isAlphabetic })
            case "isalnum": return .bool(scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
            case "isspace": return .bool(scalars.allSatisfy(PythonString.isSpace))
            case "islower": return .bool(s == s.lowercased() && s != s.uppercased())
            default: return .bool(s == s.uppercased() && s != s.lowercased())
            }
        default:
            return nil
        }
    }
}
