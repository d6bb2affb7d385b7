// Model breadcrumbs: keep a band of task-vector magnitudes, dropping the outliers on top and the small ones.
public struct BreadcrumbsMerge: TaskVectorMethod {
    public static let name = "breadcrumbs"
    public static let referenceURL = "https://arxiv.org/abs/2312.06795"
    public static let recipe = TaskVectorRecipe(sparsification: .magnitudeOutliers, consensus: nil,
                                                defaultNormalize: false, defaultRescale: false)
    public init() {}
}
