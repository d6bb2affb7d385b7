// The common face of every merge method: what it is called, what it takes, and how it merges one tensor.

/// Whether the method merges against a base model (task vectors) or averages its inputs as they are.
public enum BasePolicy: Sendable, Equatable { case required, ignored }

public protocol MergeMethod: Sendable {
    /// mergekit's name for the method, as written in a recipe.
    static var name: String { get }
    /// The paper or page that defines it.
    static var referenceURL: String { get }
    static var parameters: [MergeParameterSpec] { get }
    static var basePolicy: BasePolicy { get }
    /// How many inputs besides the base it accepts.
    static var modelCount: ClosedRange<Int> { get }
    /// Whether output entry j depends only on entry j of the inputs (and per-tensor parameters): then a large tensor
    /// may be merged in slices on several threads.
    static var elementwise: Bool { get }

    init()

    /// Checks rules that tie resolved parameters together; the per-value ranges are already checked.
    static func validate(_ parameters: ResolvedParameters) throws

    /// Merges one tensor of `inputs` into `output` (same element count). `parameters.perModel` is parallel to
    /// `inputs.models`; `random` drives random masks and is not touched by deterministic methods.
    func merge(_ inputs: TensorMergeInputs, parameters: ResolvedParameters, random: inout MergeRandom,
               into output: UnsafeMutableBufferPointer<Float>) throws
}

extension MergeMethod {
    public static func validate(_ parameters: ResolvedParameters) throws {}
    public static var elementwise: Bool { false }

    public var name: String { Self.name }
}

/// One tensor of every input, as f32 buffers in PyTorch element order. The caller owns the memory.
public struct TensorMergeInputs {
    public let name: String
    /// PyTorch order (slowest-varying first); della ranks within rows and model_stock's filter_wise works per row.
    public let shape: [Int]
    public let base: UnsafeBufferPointer<Float>?
    /// Inputs besides the base, in the order of the merge settings' models.
    public let models: [UnsafeBufferPointer<Float>]
    /// Which of `models` is the untrusted checkpoint being sanitized, when the merge has one; the defense methods
    /// treat it differently from the trusted donors, every mergekit method ignores it.
    public let suspect: Int?

    public var elementCount: Int { shape.reduce(1, *) }

    /// Throws when a buffer does not hold the shape's element count. `modelNames` only label the error.
    public init(name: String, shape: [Int], base: UnsafeBufferPointer<Float>?, models: [UnsafeBufferPointer<Float>],
                modelNames: [String] = [], suspect: Int? = nil) throws {
        self.name = name
        self.shape = shape
        self.base = base
        self.models = models
        self.suspect = suspect
        precondition(suspect.map { models.indices.contains($0) } ?? true, "suspect index outside the models")
        let count = shape.reduce(1, *)
        if let base, base.count != count {
            throw MergeError.inputSizeMismatch(tensor: name, model: "base", expected: count, got: base.count)
        }
        for (index, model) in models.enumerated() where model.count != count {
            let label = index < modelNames.count ? modelNames[index] : "#\(index)"
            throw MergeError.inputSizeMismatch(tensor: name, model: label, expected: count, got: model.count)
        }
    }
}
