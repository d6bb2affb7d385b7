// Everything that can go wrong while setting up or running a merge, worded so the user knows what to fix.
import Foundation

public enum MergeError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case unknownMethod(name: String, known: [String])
    /// `model` is nil for a top-level parameter.
    case unknownParameter(method: String, parameter: String, model: String?, known: [String])
    /// A parameter that applies to the whole merge (normalize, lambda, t, ...) was given for one model.
    case globalParameterGivenPerModel(method: String, parameter: String, model: String)
    /// `tensor` is nil when the parameter is missing for every tensor.
    case missingParameter(method: String, parameter: String, model: String?, tensor: String?)
    case invalidParameter(method: String, parameter: String, model: String?, value: Double, requirement: String)
    case wrongParameterType(method: String, parameter: String, model: String?, expected: String)
    case emptyGradient(method: String, parameter: String, model: String?)
    case baseModelRequired(method: String)
    case wrongModelCount(method: String, count: Int, allowed: ClosedRange<Int>)
    case duplicateModel(name: String)
    /// A defense method was asked to merge without an untrusted model to sanitize.
    case suspectRequired(method: String)
    /// One input buffer does not hold the tensor's element count.
    case inputSizeMismatch(tensor: String, model: String, expected: Int, got: Int)
    /// `tensor` is missing from `model` although `presentIn` has it.
    case missingTensor(model: String, tensor: String, presentIn: String)
    /// `model` has `tensor` with shape `got` while `reference` has it with shape `expected`.
    case shapeMismatch(model: String, tensor: String, expected: [Int], got: [Int], reference: String)

    public var description: String {
        switch self {
        case .unknownMethod(let name, let known):
            return "unknown merge method \"\(name)\"; use one of \(known.joined(separator: ", "))"
        case .unknownParameter(let method, let parameter, let model, let known):
            return "\(method): unknown parameter \"\(parameter)\"\(Self.forModel(model)); "
                + "this method takes \(known.joined(separator: ", "))"
        case .globalParameterGivenPerModel(let method, let parameter, let model):
            return "\(method): parameter \"\(parameter)\" applies to the whole merge but was given for model \"\(model)\"; "
                + "move it to the top-level parameters"
        case .missingParameter(let method, let parameter, let model, let tensor):
            let place = tensor.map { " for tensor \"\($0)\" (no filter matched it)" } ?? ""
            return "\(method): required parameter \"\(parameter)\" is missing\(Self.forModel(model))\(place); "
                + "set it for that model or in the top-level parameters"
        case .invalidParameter(let method, let parameter, let model, let value, let requirement):
            return "\(method): parameter \"\(parameter)\"\(Self.forModel(model)) is \(value), but it must be \(requirement)"
        case .wrongParameterType(let method, let parameter, let model, let expected):
            return "\(method): parameter \"\(parameter)\"\(Self.forModel(model)) must be \(expected)"
        case .emptyGradient(let method, let parameter, let model):
            return "\(method): parameter \"\(parameter)\"\(Self.forModel(model)) is an empty list; give a number or a non-empty list"
        case .baseModelRequired(let method):
            return "\(method) merges task vectors against a base model; name one with base_model"
        case .wrongModelCount(let method, let count, let allowed):
            let want = allowed.upperBound == Int.max ? "at least \(allowed.lowerBound)"
                : allowed.count == 1 ? "exactly \(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
            return "\(method) needs \(want) model(s) besides the base, got \(count)"
        case .duplicateModel(let name):
            return "model \"\(name)\" is listed twice; list each model once and give it one weight"
        case .suspectRequired(let method):
            return "\(method) sanitizes one untrusted model against trusted donors, but this merge has no untrusted model; "
                + "use it for an untrusted model with donors, or use linear"
        case .inputSizeMismatch(let tensor, let model, let expected, let got):
            return "tensor \"\(tensor)\" of model \"\(model)\" has \(got) values, expected \(expected)"
        case .missingTensor(let model, let tensor, let presentIn):
            return "model \"\(model)\" has no tensor \"\(tensor)\" but \"\(presentIn)\" has; "
                + "merge only fine-tunes of the same base architecture"
        case .shapeMismatch(let model, let tensor, let expected, let got, let reference):
            return "tensor \"\(tensor)\" has shape \(got) in model \"\(model)\" but \(expected) in \"\(reference)\"; "
                + "merge only fine-tunes of the same base (same sizes and vocabulary)"
        }
    }

    public var errorDescription: String? { description }

    private static func forModel(_ model: String?) -> String { model.map { " of model \"\($0)\"" } ?? "" }
}
