// From a registry entry to a merge plan: the family base, the donors (none for a trusted adapter, which is only
// applied to its base), the untrusted model and the recipe with its parameters in Merge's terms.
import Foundation
import Merge

enum MergePlanning {
    static func plan(for spec: ModelSpec, family: FamilySpec, seed: UInt64 = 0) throws(RecipeError) -> MergePlan {
        var parameters: [String: ParameterValue] = [:]
        for (key, value) in spec.merge.parameters {
            switch value {
            case .number(let n): parameters[key] = .number(n)
            case .bool(let b): parameters[key] = .flag(b)
            case .list(let l): parameters[key] = .gradient(l)
            case .string(let s):
                throw RecipeError(field: "\(spec.merge.field).parameters.\(key)",
                                  message: "is the string \"\(s)\"; merge parameters are numbers, lists of numbers or true/false")
            }
        }
        let donors = spec.trusted ? [] : family.donors.map { PlannedModel(path: $0.path, weight: $0.weight) }
        return MergePlan(base: family.base, donors: donors, untrusted: spec.path.map { PlannedModel(path: $0, weight: spec.weight) },
                         method: spec.trusted ? "linear" : spec.merge.method, parameters: spec.trusted ? [:] : parameters, seed: seed)
    }

    /// A PEFT adapter folder: it has no weights of its own to load, only a delta to apply to its base.
    static func isAdapter(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("adapter_config.json"))
    }
}

public struct RecipeError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }
}
