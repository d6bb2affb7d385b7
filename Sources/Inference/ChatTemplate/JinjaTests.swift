// The `is` tests (`x is defined`, `x is equalto y`, ...), following jinja2's definitions.

extension JinjaInterpreter {
    /// Every test `applyTest` knows; the parser rejects others, as jinja2 does when it compiles a template.
    static let testNames: Set<String> = [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping",
        "iterable", "sequence", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt",
        "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "sameas", "lower", "upper", "escaped",
    ]

    func applyTest(_ name: String, to value: JinjaValue, arguments a: Arguments) throws(ChatTemplateError) -> Bool {
        func other() throws(ChatTemplateError) -> JinjaValue {
            guard let v = a.positional.first ?? a.keyword.first?.value else { throw fail("the test '\(name)' needs an argument") }
            return v
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        // Python's bool is a Number, so `true is number` holds, as in jinja2.
        case "number": return value.numericValue != nil
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dictionary = value { return true } else { return false }
        case "iterable":
            switch value {
            // jinja2's Undefined can be iterated (it yields nothing), so it counts as iterable.
            case .undefined, .string, .array, .tuple, .dictionary, .namespace: return true
            default: return false
            }
        case "sequence":
            switch value {
            // Undefined has __len__ and __getitem__, so jinja2 calls it a sequence.
            case .undefined, .string, .array, .tuple, .dictionary: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "odd", "even":
            guard let i = value.integerValue else { throw fail("the test '\(name)' needs an integer, not '\(value.typeName)'") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = value.integerValue, let n = try other().integerValue, n != 0 else {
                throw fail("divisibleby needs two non-zero integers")
            }
            return i % n == 0
        case "eq", "equalto", "==": return value.pythonEquals(try other())
        case "ne", "!=": return !value.pythonEquals(try other())
        case "lt", "lessthan", "<": return try binary("<", value, try other()).isTruthy
        case "le", "<=": return try binary("<=", value, try other()).isTruthy
        case "gt", "greaterthan", ">": return try binary(">", value, try other()).isTruthy
        case "ge", ">=": return try binary(">=", value, try other()).isTruthy
        case "in": return try contains(try other(), value)
        case "sameas":
            let o = try other()
            switch (value, o) {
            case (.namespace(let x), .namespace(let y)): return x === y
            case (.callable(let x), .callable(let y)): return x === y
            case (.none, .none), (.undefined, .undefined): return true
            case (.bool(let x), .bool(let y)): return x == y
            default: return false
            }
        case "lower": if case .string(let s) = value { return s == s.lowercased() } else { return false }
        case "upper": if case .string(let s) = value { return s == s.uppercased() } else { return false }
        case "escaped": return false
        default: throw fail("no test named '\(name)'")
        }
    }
}

extension JinjaValue {
    /// The value as an integer when Python treats it as one (ints and bools).
    var integerValue: Int? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }
}
