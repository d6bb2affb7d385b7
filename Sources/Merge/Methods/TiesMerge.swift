// TIES: keep each task vector's largest entries, elect a sign per entry, average the agreeing ones.
public struct TiesMerge: TaskVectorMethod {
    public static let name = "ties"
    public static let referenceURL = "https://arxiv.org/abs/2306.01708"
    public static let recipe = TaskVectorRecipe(sparsification: .magnitude, consensus: .sum,
                                                defaultNormalize: true, defaultRescale: false)
    public init() {}
}
