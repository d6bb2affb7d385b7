// The values a chat template computes with: Python's types as jinja2 sees them, plus Undefined.

/// A value inside a template. Dictionaries keep insertion order because `tojson` and `items()`
/// print keys in the order the caller (or the JSON) gave them, exactly as Python dicts do.
public enum JinjaValue: Sendable {
    /// A missing name, attribute or item. Carries jinja2's message for when it is used in a way that must fail.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    /// A Python tuple (from `items()`, `(a, b)` literals): iterates like a list, prints with parentheses.
    case tuple([JinjaValue])
    case dictionary(JinjaDictionary)
    /// A `namespace(...)` object, the one mutable value a template can assign attributes on.
    case namespace(JinjaNamespace)
    /// A macro, a `caller`, or a built-in global function.
    case callable(JinjaCallable)

    /// The value a name has when the context does not define it.
    static func undefinedName(_ name: String) -> JinjaValue { .undefined("'\(name)' is undefined") }
}

/// An insertion-ordered dictionary with string keys (chat-template data is JSON-shaped, so keys are strings).
public struct JinjaDictionary: Sendable {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init() {}

    public init(_ pairs: [(String, JinjaValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var values: [JinjaValue] { keys.map { storage[$0]! } }
    public var pairs: [(key: String, value: JinjaValue)] { keys.map { ($0, storage[$0]!) } }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
}

/// `namespace()`: a reference, so `{% set ns.x = ... %}` inside a loop is seen after the loop.
/// @unchecked Sendable: a namespace is created by a template during one `render` call, mutated only by
/// that call's single thread, and never returned to the caller (render returns a String).
public final class JinjaNamespace: @unchecked Sendable {
    var attributes: JinjaDictionary
    init(_ attributes: JinjaDictionary) { self.attributes = attributes }
}

/// Something a template can call.
/// @unchecked Sendable: macros and callers hold the (immutable) syntax tree and the scope they were defined in;
/// like namespaces they exist only during one `render` call on one thread.
public final class JinjaCallable: @unchecked Sendable {
    enum Kind {
        case builtin(String)
        case macro(JinjaMacro, closure: JinjaScope)
        /// `loop.cycle(a, b, ...)`: picks the argument for this iteration.
        case loopCycle(index0: Int)
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    var name: String {
        switch kind {
        case .builtin(let name): name
        case .macro(let macro, _): macro.name
        case .loopCycle: "cycle"
        }
    }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .dictionary(JinjaDictionary(elements)) }
    public init(nilLiteral: ()) { self = .none }
}
