// A merge parameter as written in a recipe: a number, a flag, a list interpolated across layers, or filtered choices.

/// A parameter value after filters and gradients are resolved for one tensor.
public enum ScalarValue: Sendable, Equatable {
    case number(Double)
    case flag(Bool)
}

/// A parameter value as the user gives it, following mergekit's `ParameterSetting`.
public enum ParameterValue: Sendable, Equatable {
    case number(Double)
    case flag(Bool)
    /// mergekit's gradient: evenly spaced anchor values from the first decoder block to the last,
    /// linearly interpolated for the blocks in between.
    case gradient([Double])
    /// The first entry whose filter is nil, "*" or a substring of the tensor name wins.
    case conditional([ConditionalParameterValue])

    /// The value for one tensor, or nil when no filter matches it (so a lower-precedence setting applies).
    public func resolve(tensor: String, at position: LayerPosition) -> ScalarValue? {
        switch self {
        case .number(let x): return .number(x)
        case .flag(let b): return .flag(b)
        case .gradient(let anchors): return anchors.isEmpty ? nil : .number(Self.interpolate(anchors, at: position.t))
        case .conditional(let choices):
            for choice in choices where choice.matches(tensor) {
                return choice.value.resolve(tensor: tensor, at: position)
            }
            return nil
        }
    }

    /// mergekit's rule: with n anchors, t·(n−1) picks the segment and the fraction within it.
    /// Kept in Double like Python so the interpolated value rounds like mergekit's.
    static func interpolate(_ anchors: [Double], at t: Double) -> Double {
        let scaled = t * Double(anchors.count - 1)
        let i0 = Int(scaled)
        let i1 = min(anchors.count - 1, i0 + 1)
        let fraction = scaled - Double(i0)
        return (1 - fraction) * anchors[i0] + fraction * anchors[i1]
    }

    /// Every number this value can take (gradient anchors bound their interpolations: ranges are convex).
    var numbers: [Double] {
        switch self {
        case .number(let x): return [x]
        case .flag: return []
        case .gradient(let anchors): return anchors
        case .conditional(let choices): return choices.flatMap { $0.value.numbers }
        }
    }
}

public struct ConditionalParameterValue: Sendable, Equatable {
    public var filter: String?
    public var value: ParameterValue

    public init(filter: String?, value: ParameterValue) {
        self.filter = filter
        self.value = value
    }

    func matches(_ tensor: String) -> Bool {
        guard let filter, filter != "*" else { return true }
        return tensor.contains(filter)
    }
}

extension ParameterValue: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral {
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
    public init(arrayLiteral elements: Double...) { self = .gradient(elements) }
}

/// Where a tensor sits in the stack of decoder blocks, as mergekit's interpolation parameter t in [0, 1].
public struct LayerPosition: Sendable, Equatable {
    public let t: Double

    public init(t: Double) { self.t = t }

    /// Embeddings, the final norm and the output head: mergekit resolves them at t = 0 (the first anchor).
    public static let outsideLayers = LayerPosition(t: 0)

    /// Block `index` of `count`: t = index / (count − 1); a single block gets t = 1 as in mergekit.
    public static func layer(_ index: Int, of count: Int) -> LayerPosition {
        count > 1 ? LayerPosition(t: Double(index) / Double(count - 1)) : LayerPosition(t: 1)
    }

    /// The position of a tensor named in HF ("model.layers.N.") or GGUF ("blk.N.") convention.
    public static func of(tensor name: String, layerCount: Int) -> LayerPosition {
        guard let index = layerIndex(of: name) else { return .outsideLayers }
        return .layer(index, of: layerCount)
    }

    static func layerIndex(of name: String) -> Int? {
        for prefix in ["layers.", "blk."] {
            guard let range = name.range(of: prefix) else { continue }
            let digits = name[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
            if let index = Int(digits) { return index }
        }
        return nil
    }
}
