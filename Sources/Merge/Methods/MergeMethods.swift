// The registry: recipe names to merge methods.

public enum MergeMethods {
    /// mergekit's methods, with its names, parameters and numbers (checked against mergekit's own output).
    public static var mergekit: [any MergeMethod.Type] {
        [LinearMerge.self, TaskArithmeticMerge.self, TiesMerge.self, DareLinearMerge.self, DareTiesMerge.self,
         BreadcrumbsMerge.self, BreadcrumbsTiesMerge.self, DellaMerge.self, DellaLinearMerge.self,
         ModelStockMerge.self, SlerpMerge.self]
    }

    /// Ours: defenses that treat the untrusted model differently from the donors (docs/defense.md).
    public static var defenses: [any MergeMethod.Type] { [ProjectedLinearMerge.self, AgreedLinearMerge.self] }

    /// Every method we serve, in the order they are listed to users.
    public static var all: [any MergeMethod.Type] { mergekit + defenses }

    public static var names: [String] { all.map { $0.name } }

    public static func named(_ name: String) throws -> any MergeMethod {
        guard let method = all.first(where: { $0.name == name }) else {
            throw MergeError.unknownMethod(name: name, known: names)
        }
        return method.init()
    }
}
