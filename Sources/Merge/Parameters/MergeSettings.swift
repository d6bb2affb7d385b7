// A merge as the user asked for it (method, base, models, parameters), checked up front and resolved per tensor.

/// One non-base input and the parameters given for it alone.
public struct ModelSettings: Sendable, Equatable {
    public var name: String
    public var parameters: [String: ParameterValue]

    public init(name: String, parameters: [String: ParameterValue] = [:]) {
        self.name = name
        self.parameters = parameters
    }
}

/// Precedence follows mergekit: a model's own parameters, then the top-level ones, then the method's default.
public struct MergeSettings: Sendable {
    public let method: any MergeMethod
    /// nil for methods that take no base (linear): there the base is one of `models`.
    public let baseModel: String?
    /// The inputs the method merges besides the base, in order.
    public let models: [ModelSettings]
    public let parameters: [String: ParameterValue]

    private var methodName: String { type(of: method).name }
    private var specs: [MergeParameterSpec] { type(of: method).parameters }

    /// Throws for an unknown method or parameter, a misplaced or mistyped parameter, a value out of range, a
    /// required parameter missing for some model, a missing base, or the wrong number of models.
    /// An entry naming the base model itself (mergekit's slerp configs list it) is the base, not a donor.
    public init(method name: String, baseModel: String?, models: [ModelSettings],
                parameters: [String: ParameterValue] = [:]) throws {
        let method = try MergeMethods.named(name)
        let methodType = type(of: method)
        self.method = method
        self.parameters = parameters
        switch methodType.basePolicy {
        case .required:
            guard let baseModel else { throw MergeError.baseModelRequired(method: name) }
            self.baseModel = baseModel
            self.models = models.filter { $0.name != baseModel }
        case .ignored:
            // As mergekit: a named base that is not among the models joins them as one more input (and so needs a
            // weight like the others); it is not dropped.
            self.baseModel = nil
            if let baseModel, !models.contains(where: { $0.name == baseModel }) {
                self.models = models + [ModelSettings(name: baseModel)]
            } else {
                self.models = models
            }
        }
        var seen = Set<String>()
        for model in self.models where !seen.insert(model.name).inserted {
            throw MergeError.duplicateModel(name: model.name)
        }
        guard methodType.modelCount.contains(self.models.count) else {
            throw MergeError.wrongModelCount(method: name, count: self.models.count, allowed: methodType.modelCount)
        }
        try validateNamesAndValues()
    }

    private func validateNamesAndValues() throws {
        let known = specs.map(\.name)
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            guard let spec = specs.first(where: { $0.name == key }) else {
                throw MergeError.unknownParameter(method: methodName, parameter: key, model: nil, known: known)
            }
            try check(value, against: spec, model: nil)
        }
        for model in models {
            for (key, value) in model.parameters.sorted(by: { $0.key < $1.key }) {
                guard let spec = specs.first(where: { $0.name == key }) else {
                    throw MergeError.unknownParameter(method: methodName, parameter: key, model: model.name, known: known)
                }
                guard spec.scope == .perModel else {
                    throw MergeError.globalParameterGivenPerModel(method: methodName, parameter: key, model: model.name)
                }
                try check(value, against: spec, model: model.name)
            }
        }
        for spec in specs where spec.required {
            switch spec.scope {
            case .global:
                if parameters[spec.name] == nil {
                    throw MergeError.missingParameter(method: methodName, parameter: spec.name, model: nil, tensor: nil)
                }
            case .perModel:
                for model in models where model.parameters[spec.name] == nil && parameters[spec.name] == nil {
                    throw MergeError.missingParameter(method: methodName, parameter: spec.name, model: model.name, tensor: nil)
                }
            }
        }
    }

    private func check(_ value: ParameterValue, against spec: MergeParameterSpec, model: String?) throws {
        switch (spec.kind, value) {
        case (_, .conditional(let choices)):
            for choice in choices { try check(choice.value, against: spec, model: model) }
        case (.flag, .flag):
            return
        case (.flag, _):
            throw MergeError.wrongParameterType(method: methodName, parameter: spec.name, model: model, expected: "true or false")
        case (.number, .flag):
            throw MergeError.wrongParameterType(method: methodName, parameter: spec.name, model: model,
                                                expected: "a number or a list of numbers")
        case (.number(let constraint), _):
            if case .gradient(let anchors) = value, anchors.isEmpty {
                throw MergeError.emptyGradient(method: methodName, parameter: spec.name, model: model)
            }
            for x in value.numbers where !constraint.admits(x) {
                throw MergeError.invalidParameter(method: methodName, parameter: spec.name, model: model,
                                                  value: x, requirement: constraint.requirement)
            }
        }
    }

    /// The parameters for one tensor. Also checks rules that tie parameters together (della's density ± epsilon).
    public func resolve(tensor: String, at position: LayerPosition) throws -> ResolvedParameters {
        var global: [String: ScalarValue] = [:]
        var perModel = [[String: ScalarValue]](repeating: [:], count: models.count)
        for spec in specs {
            switch spec.scope {
            case .global:
                global[spec.name] = try value(of: spec, tensor: tensor, position: position, sources: [parameters], model: nil)
            case .perModel:
                for (index, model) in models.enumerated() {
                    perModel[index][spec.name] = try value(of: spec, tensor: tensor, position: position,
                                                           sources: [model.parameters, parameters], model: model.name)
                }
            }
        }
        let resolved = ResolvedParameters(method: methodName, global: global, perModel: perModel, modelNames: models.map(\.name))
        try type(of: method).validate(resolved)
        return resolved
    }

    /// Resolves every tensor once, so a bad setting fails before any weights are read.
    public func validate(tensors names: [String], layerCount: Int) throws {
        for name in names { _ = try resolve(tensor: name, at: .of(tensor: name, layerCount: layerCount)) }
    }

    private func value(of spec: MergeParameterSpec, tensor: String, position: LayerPosition,
                       sources: [[String: ParameterValue]], model: String?) throws -> ScalarValue {
        for source in sources {
            if let value = source[spec.name]?.resolve(tensor: tensor, at: position) { return value }
        }
        guard let fallback = spec.defaultValue else {
            throw MergeError.missingParameter(method: methodName, parameter: spec.name, model: model, tensor: tensor)
        }
        return fallback
    }

    /// Resolves the parameters for `inputs.name` and merges it with a random stream of its own, so the result
    /// does not depend on the order in which tensors are merged.
    public func mergeTensor(_ inputs: TensorMergeInputs, position: LayerPosition, seed: UInt64,
                            into output: UnsafeMutableBufferPointer<Float>) throws {
        guard inputs.models.count == models.count else {
            throw MergeError.wrongModelCount(method: methodName, count: inputs.models.count,
                                             allowed: models.count...models.count)
        }
        if type(of: method).basePolicy == .required && inputs.base == nil {
            throw MergeError.baseModelRequired(method: methodName)
        }
        guard output.count == inputs.elementCount else {
            throw MergeError.inputSizeMismatch(tensor: inputs.name, model: "output", expected: inputs.elementCount, got: output.count)
        }
        let resolved = try resolve(tensor: inputs.name, at: position)
        var random = MergeRandom(seed: seed, stream: inputs.name)
        try method.merge(inputs, parameters: resolved, random: &random, into: output)
    }
}
