// What can be wrong with the inputs of a merge-on-load, each naming the model (path), the tensor and what to do.
import Foundation

public enum MergeInputError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// Two inputs disagree on a hyper-parameter (`field` in HF config.json terms).
    case configMismatch(model: String, field: String, expected: String, got: String, reference: String)
    /// The embedding tables or tokenizers have different sizes: token ids would mean different things.
    case vocabularyMismatch(model: String, expected: Int, got: Int, reference: String, what: String)
    /// An adapter targets a tensor the base lacks or whose shape its factors do not fit.
    case adapterDoesNotFitBase(adapter: String, tensor: String, adapterShape: [Int]?, baseShape: [Int]?,
                               base: String, declaredBase: String?)
    /// A tensor holds NaN or ±Inf; `index` is the first such element (PyTorch order).
    case nonFiniteValue(model: String, tensor: String, index: Int, value: Float)
    /// Something in adapter_config.json or the adapter weights we do not merge (DoRA, modules_to_save, ...).
    case unsupportedAdapter(adapter: String, reason: String)
    /// The adapter's own files contradict each other (a lora_A without its lora_B, a rank that disagrees with r).
    case malformedAdapter(adapter: String, tensor: String?, reason: String)
    /// The same file or folder appears twice among the inputs.
    case duplicateInput(path: String)
    case emptyPlan

    public var description: String {
        switch self {
        case .configMismatch(let model, let field, let expected, let got, let reference):
            return "\(model): \"\(field)\" is \(got) but \(expected) in \(reference); "
                + "merge only fine-tunes of the same base architecture"
        case .vocabularyMismatch(let model, let expected, let got, let reference, let what):
            return "\(model): \(what) has \(got) tokens but \(expected) in \(reference); "
                + "merged models must share one vocabulary"
        case .adapterDoesNotFitBase(let adapter, let tensor, let adapterShape, let baseShape, let base, let declared):
            let shapes: String
            switch (adapterShape, baseShape) {
            case (let a?, let b?): shapes = "its delta has shape \(a) but the base tensor has shape \(b)"
            case (let a?, nil): shapes = "its delta has shape \(a) but the base \(base) has no such tensor"
            default: shapes = "it does not match the base"
            }
            let origin = declared.map { " The adapter says it was trained on \"\($0)\"." } ?? ""
            return "adapter \(adapter) does not fit base \(base) at tensor \"\(tensor)\": \(shapes).\(origin) "
                + "Use adapters trained on the same base model"
        case .nonFiniteValue(let model, let tensor, let index, let value):
            return "\(model): tensor \"\(tensor)\" holds \(value) at element \(index); "
                + "a model with NaN or infinite weights is refused"
        case .unsupportedAdapter(let adapter, let reason):
            return "adapter \(adapter): \(reason)"
        case .malformedAdapter(let adapter, let tensor, let reason):
            return "adapter \(adapter)\(tensor.map { ", tensor \"\($0)\"" } ?? ""): \(reason)"
        case .duplicateInput(let path):
            return "\(path) is listed twice among the merge inputs; list each model once"
        case .emptyPlan:
            return "the merge plan has no untrusted model and no donors"
        }
    }

    public var errorDescription: String? { description }
}
