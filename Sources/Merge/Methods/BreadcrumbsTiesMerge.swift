// Model breadcrumbs followed by TIES' sign election.
public struct BreadcrumbsTiesMerge: TaskVectorMethod {
    public static let name = "breadcrumbs_ties"
    public static let referenceURL = "https://arxiv.org/abs/2312.06795"
    public static let recipe = TaskVectorRecipe(sparsification: .magnitudeOutliers, consensus: .sum,
                                                defaultNormalize: false, defaultRescale: false)
    public init() {}
}
