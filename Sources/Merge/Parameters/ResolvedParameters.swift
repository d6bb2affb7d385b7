// Parameter values settled for one tensor: what a merge method reads while it merges that tensor.

public struct ResolvedParameters: Sendable, Equatable {
    public var method: String
    public var global: [String: ScalarValue]
    /// One dictionary per non-base input, in input order.
    public var perModel: [[String: ScalarValue]]
    /// Names for error messages, parallel to `perModel`.
    public var modelNames: [String]

    public init(method: String, global: [String: ScalarValue], perModel: [[String: ScalarValue]], modelNames: [String]) {
        self.method = method
        self.global = global
        self.perModel = perModel
        self.modelNames = modelNames
    }

    public func number(_ name: String) throws -> Double {
        guard case .number(let x)? = global[name] else { throw missing(name, model: nil) }
        return x
    }

    public func flag(_ name: String) throws -> Bool {
        guard case .flag(let b)? = global[name] else { throw missing(name, model: nil) }
        return b
    }

    public func number(_ name: String, model index: Int) throws -> Double {
        guard index < perModel.count, case .number(let x)? = perModel[index][name] else {
            throw missing(name, model: index < modelNames.count ? modelNames[index] : "#\(index)")
        }
        return x
    }

    private func missing(_ name: String, model: String?) -> MergeError {
        .missingParameter(method: method, parameter: name, model: model, tensor: nil)
    }
}
