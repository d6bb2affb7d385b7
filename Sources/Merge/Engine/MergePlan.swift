// What to merge on load: the base, the trusted donors, the untrusted model, and the recipe.

/// One input model of a plan and its weight (the merge method's per-model "weight" parameter, when it has one).
public struct PlannedModel: Sendable, Equatable {
    /// A GGUF file, an HF folder or .safetensors file, or a PEFT LoRA adapter folder.
    public var path: String
    public var weight: Double

    public init(path: String, weight: Double = 1) {
        self.path = path
        self.weight = weight
    }
}

public struct MergePlan: Sendable, Equatable {
    /// The common base of every input; adapters are applied to it and task vectors are taken against it.
    public var base: String
    /// Trusted fine-tunes of the same base.
    public var donors: [PlannedModel]
    /// The checkpoint being sanitized; nil merges the donors alone.
    public var untrusted: PlannedModel?
    /// A name from `MergeMethods.names` (mergekit's).
    public var method: String
    /// Top-level method parameters (density, lambda, normalize, ...); per-model weights come from the models.
    public var parameters: [String: ParameterValue]
    /// Seeds the random masks of dare/della; every tensor draws from its own stream of it.
    public var seed: UInt64

    public init(base: String, donors: [PlannedModel], untrusted: PlannedModel?, method: String = "linear",
                parameters: [String: ParameterValue] = [:], seed: UInt64 = 0) {
        self.base = base
        self.donors = donors
        self.untrusted = untrusted
        self.method = method
        self.parameters = parameters
        self.seed = seed
    }

    /// The models the method merges, untrusted first, in a fixed order (the order the methods see them in).
    public var models: [PlannedModel] { (untrusted.map { [$0] } ?? []) + donors }
}
