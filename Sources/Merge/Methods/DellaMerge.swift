// DELLA: magnitude-ranked random drop (MagPrune), L1 rescale, TIES' sign election, normalized.
public struct DellaMerge: TaskVectorMethod {
    public static let name = "della"
    public static let referenceURL = "https://arxiv.org/abs/2406.11617"
    public static let recipe = TaskVectorRecipe(sparsification: .rankedRandom, consensus: .sum,
                                                defaultNormalize: true, defaultRescale: true)
    public init() {}
}
