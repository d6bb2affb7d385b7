// Before any weights are read: every input model must have the same tensors with the same shapes.
import Inference

/// The tensor names and shapes of one input model.
public struct ModelTensorShapes: Sendable, Equatable {
    public let model: String
    public let shapes: [String: [Int]]

    public init(model: String, shapes: [String: [Int]]) {
        self.model = model
        self.shapes = shapes
    }

    /// Reads the shapes from a checkpoint's header; no tensor data is touched.
    public init(model: String, source: some TensorSource) {
        var shapes: [String: [Int]] = [:]
        for name in source.tensorNames { shapes[name] = source.shape(of: name) }
        self.init(model: model, shapes: shapes)
    }
}

public enum TensorHomogeneity {
    /// Throws unless every tensor appears, with one shape, in every model. mergekit warns and drops a donor's
    /// mismatched tensor; a silently dropped donor would quietly weaken the sanitizing merge, so we refuse.
    /// Models are compared with the first (pass the base first); names are checked in sorted order so the
    /// same inputs always report the same error.
    public static func check(_ models: [ModelTensorShapes]) throws {
        guard let reference = models.first else { return }
        for name in reference.shapes.keys.sorted() {
            let expected = reference.shapes[name]!
            for other in models.dropFirst() {
                guard let got = other.shapes[name] else {
                    throw MergeError.missingTensor(model: other.model, tensor: name, presentIn: reference.model)
                }
                if got != expected {
                    throw MergeError.shapeMismatch(model: other.model, tensor: name, expected: expected, got: got,
                                                   reference: reference.model)
                }
            }
        }
        for other in models.dropFirst() {
            if let extra = other.shapes.keys.sorted().first(where: { reference.shapes[$0] == nil }) {
                throw MergeError.missingTensor(model: reference.model, tensor: extra, presentIn: other.model)
            }
        }
    }
}
