// A small parser for `--flag value`, `--flag=value` and boolean `--switch` arguments, with errors a user can act on.

enum CommandLineError: Error, CustomStringConvertible {
    case unknownOption(String, command: String)
    case missingValue(String)
    case invalidValue(option: String, value: String, expected: String)
    case unexpectedArgument(String)
    case unknownCommand(String)

    var description: String {
        switch self {
        case .unknownOption(let o, let c): return "unknown option \(o) for `mergeguard \(c)` (see `mergeguard \(c) --help`)"
        case .missingValue(let o): return "option \(o) needs a value"
        case .invalidValue(let o, let v, let e): return "option \(o) got \"\(v)\"; expected \(e)"
        case .unexpectedArgument(let a): return "unexpected argument \"\(a)\""
        case .unknownCommand(let c): return "unknown command \"\(c)\" (commands: serve, chat, merge, eval, bench)"
        }
    }
}

/// Parsed options of one subcommand. Options that take a value are declared up front so `--x 1` and `--switch`
/// can be told apart; an option may be repeated (e.g. several `--stop`), `values` keeps them all in order.
struct CommandLineOptions {
    private(set) var values: [String: [String]] = [:]
    private(set) var switches: Set<String> = []

    init(_ arguments: ArraySlice<String>, command: String, valued: Set<String>, switches allowed: Set<String>) throws(CommandLineError) {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--") else { throw .unexpectedArgument(argument) }
            var name = argument
            var inline: String?
            if let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                inline = String(argument[argument.index(after: eq)...])
            }
            if allowed.contains(name) && inline == nil {
                switches.insert(name)
            } else if valued.contains(name) {
                guard let value = inline ?? rest.popFirst() else { throw .missingValue(name) }
                values[name, default: []].append(value)
            } else {
                throw .unknownOption(name, command: command)
            }
        }
    }

    func has(_ name: String) -> Bool { switches.contains(name) }

    func string(_ name: String) -> String? { values[name]?.last }

    func strings(_ name: String) -> [String] { values[name] ?? [] }

    func int(_ name: String) throws(CommandLineError) -> Int? {
        guard let s = string(name) else { return nil }
        guard let v = Int(s) else { throw .invalidValue(option: name, value: s, expected: "an integer") }
        return v
    }

    func uint64(_ name: String) throws(CommandLineError) -> UInt64? {
        guard let s = string(name) else { return nil }
        guard let v = UInt64(s) else { throw .invalidValue(option: name, value: s, expected: "a non-negative integer") }
        return v
    }

    func float(_ name: String) throws(CommandLineError) -> Float? {
        guard let s = string(name) else { return nil }
        guard let v = Float(s), v.isFinite else { throw .invalidValue(option: name, value: s, expected: "a number") }
        return v
    }
}
