// What a merge method declares about each parameter it takes: name, scope, type, default and allowed values.

public struct MergeParameterSpec: Sendable, Equatable {
    /// mergekit's SHARED scope (one value for the whole merge) versus per-input values.
    public enum Scope: Sendable, Equatable { case global, perModel }

    public enum Kind: Sendable, Equatable {
        case number(NumberConstraint)
        case flag
    }

    public let name: String
    public let scope: Scope
    public let kind: Kind
    /// nil when the parameter is required.
    public let defaultValue: ScalarValue?

    public var required: Bool { defaultValue == nil }

    public init(name: String, scope: Scope, kind: Kind, defaultValue: ScalarValue?) {
        self.name = name
        self.scope = scope
        self.kind = kind
        self.defaultValue = defaultValue
    }

    public static func number(_ name: String, _ scope: Scope, default value: Double?,
                              _ constraint: NumberConstraint) -> MergeParameterSpec {
        MergeParameterSpec(name: name, scope: scope, kind: .number(constraint), defaultValue: value.map(ScalarValue.number))
    }

    public static func flag(_ name: String, default value: Bool) -> MergeParameterSpec {
        MergeParameterSpec(name: name, scope: .global, kind: .flag, defaultValue: .flag(value))
    }
}

/// Allowed values of a numeric parameter. All require a finite number. Every case is an interval, so a
/// gradient whose anchors pass also passes at every interpolated point.
public enum NumberConstraint: Sendable, Equatable {
    case finite
    /// Weights in a normalized average: zero or negative would drop or invert a donor.
    case positive
    /// Task-vector weights: negative negates a task (Ilharco et al.), zero would drop the donor silently.
    case nonZero
    /// (0, 1]: density.
    case unitOpenBelow
    /// [0, 1): gamma, epsilon.
    case unitOpenAbove
    /// [0, 1]: interpolation factors.
    case unitClosed

    public func admits(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        switch self {
        case .finite: return true
        case .positive: return x > 0
        case .nonZero: return x != 0
        case .unitOpenBelow: return x > 0 && x <= 1
        case .unitOpenAbove: return x >= 0 && x < 1
        case .unitClosed: return x >= 0 && x <= 1
        }
    }

    public var requirement: String {
        switch self {
        case .finite: return "a finite number"
        case .positive: return "greater than 0"
        case .nonZero: return "a finite number other than 0 (leave the model out instead of weighting it 0)"
        case .unitOpenBelow: return "in (0, 1]"
        case .unitOpenAbove: return "in [0, 1)"
        case .unitClosed: return "in [0, 1]"
        }
    }
}
