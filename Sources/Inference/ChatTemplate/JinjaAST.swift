// The syntax tree of a parsed template: expressions and the statements ({% %} tags) that hold them.

indirect enum JinjaExpression: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpression])
    case tuple([JinjaExpression])
    case dictionary([(key: JinjaExpression, value: JinjaExpression)])
    /// `a.b` (jinja2 tries the attribute, then the item).
    case attribute(JinjaExpression, String)
    /// `a[b]` (jinja2 tries the item, then the attribute).
    case item(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
    case call(JinjaExpression, JinjaArguments)
    case filter(JinjaExpression, name: String, JinjaArguments, line: Int)
    case test(JinjaExpression, name: String, JinjaArguments, negated: Bool, line: Int)
    /// `not`, unary `-` and `+`.
    case unary(String, JinjaExpression)
    /// Arithmetic, `~`, comparisons, `in` and `not in`.
    case binary(String, JinjaExpression, JinjaExpression)
    /// A chain of two or more comparisons, `a < b <= c`, evaluated pairwise with short-circuiting.
    case compare(JinjaExpression, [(op: String, operand: JinjaExpression)])
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    /// `a if condition else b` (`else` may be left out: the value is then Undefined).
    case conditional(value: JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

struct JinjaArguments: Sendable {
    var positional: [JinjaExpression] = []
    var keyword: [(name: String, value: JinjaExpression)] = []
}

/// What `{% set %}` assigns to.
enum JinjaAssignTarget: Sendable {
    case names([String])
    /// `ns.attr` (only namespaces accept it).
    case attribute(String, String)
}

struct JinjaMacro: Sendable {
    let name: String
    let parameters: [(name: String, defaultValue: JinjaExpression?)]
    let body: [JinjaNode]
}

indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression, line: Int)
    case ifBlock(branches: [(condition: JinjaExpression, body: [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case forLoop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode], otherwise: [JinjaNode], line: Int)
    case set(JinjaAssignTarget, JinjaExpression, line: Int)
    /// `{% set x %}...{% endset %}`, optionally through filters (`{% set x | trim %}`).
    case setBlock(String, filters: [(name: String, arguments: JinjaArguments)], body: [JinjaNode], line: Int)
    case macro(JinjaMacro, line: Int)
    /// `{% call m(args) %}body{% endcall %}`: calls `m` with `caller` bound to the body.
    case callBlock(JinjaExpression, caller: JinjaMacro, line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}
