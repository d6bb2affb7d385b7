// models.json: the operator's registry of model families (a base, trusted donors, a merge recipe) and the models
// served from them. Every error names the file and the field path, e.g. `families.smollm2.donors[1].path`.
import Foundation

public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var apiKeys: [String] = []
    public var memoryBudgetMB = 4096
    public var cacheDirectory: String
}

/// A merge recipe as written in models.json; the Merge module checks the method and its parameters.
public struct MergeRecipeSpec: Sendable, Equatable {
    public var method: String
    public var parameters: [String: RecipeValue]
    /// Where it was written, for error messages (`families.smollm2.merge`).
    public var field: String
}

/// A recipe parameter: a number, a list of numbers interpolated across layers, a boolean or a string.
public enum RecipeValue: Sendable, Equatable {
    case number(Double)
    case list([Double])
    case bool(Bool)
    case string(String)
}

public struct DonorSpec: Sendable, Equatable {
    public var path: String
    public var weight: Double
    public var field: String
}

public struct FamilySpec: Sendable, Equatable {
    public var name: String
    public var base: String
    public var donors: [DonorSpec]
    public var merge: MergeRecipeSpec
}

public struct ModelSpec: Sendable, Equatable {
    public var id: String
    public var family: String
    /// The fine-tune's checkpoint; nil means the family's base.
    public var path: String?
    public var weight: Double
    /// Untrusted models are always served merged with their family's donors (the default).
    public var trusted: Bool
    public var merge: MergeRecipeSpec
}

public struct ModelRegistry: Sendable, Equatable {
    public var file: String
    public var server: ServerSettings
    public var families: [String: FamilySpec]
    public var models: [String: ModelSpec]
    /// Model ids in the order the file lists them (for /v1/models).
    public var modelOrder: [String]

    public static func load(path: String) throws(RegistryError) -> ModelRegistry {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws(RegistryError) -> ModelRegistry {
        do {
            return try RegistryParser(file: file).parse(data)
        } catch let error as RegistryError {
            throw error
        } catch let error as JSONFieldError {
            throw .invalid(file: file, field: error.field, reason: error.message)
        } catch {
            throw .invalid(file: file, field: "", reason: "\(error)")
        }
    }
}

public enum RegistryError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case invalid(file: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read the model registry: \(r)"
        case .invalid(let f, let field, let r): return field.isEmpty ? "\(f): \(r)" : "\(f): \(field): \(r)"
        }
    }
}
