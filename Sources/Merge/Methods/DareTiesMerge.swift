// DARE TIES: DARE's random drop and rescale, then TIES' sign election (unnormalized by default, as mergekit).
public struct DareTiesMerge: TaskVectorMethod {
    public static let name = "dare_ties"
    public static let referenceURL = "https://arxiv.org/abs/2311.03099"
    public static let recipe = TaskVectorRecipe(sparsification: .random, consensus: .sum,
                                                defaultNormalize: false, defaultRescale: true)
    public init() {}
}
