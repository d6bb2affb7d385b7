// DARE linear: drop task-vector entries at random, rescale to keep the L1 norm, add them up.
public struct DareLinearMerge: TaskVectorMethod {
    public static let name = "dare_linear"
    public static let referenceURL = "https://arxiv.org/abs/2311.03099"
    public static let recipe = TaskVectorRecipe(sparsification: .random, consensus: nil,
                                                defaultNormalize: false, defaultRescale: true)
    public init() {}
}
