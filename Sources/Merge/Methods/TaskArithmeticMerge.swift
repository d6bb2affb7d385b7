// task_arithmetic: θ_base + λ·Σ wᵢ·δᵢ, unnormalized (Ilharco et al., editing models with task arithmetic).
public struct TaskArithmeticMerge: TaskVectorMethod {
    public static let name = "task_arithmetic"
    public static let referenceURL = "https://arxiv.org/abs/2212.04089"
    public static let recipe = TaskVectorRecipe(sparsification: nil, consensus: nil,
                                                defaultNormalize: false, defaultRescale: false)
    public init() {}
}
