// DELLA linear: MagPrune's ranked random drop and rescale without the sign election.
public struct DellaLinearMerge: TaskVectorMethod {
    public static let name = "della_linear"
    public static let referenceURL = "https://arxiv.org/abs/2406.11617"
    public static let recipe = TaskVectorRecipe(sparsification: .rankedRandom, consensus: nil,
                                                defaultNormalize: false, defaultRescale: true)
    public init() {}
}
