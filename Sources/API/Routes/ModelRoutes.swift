// GET /v1/models and /v1/models/{id}: every registered model, with a `mergeguard` object saying how it is served.
import Foundation

struct ModelRoutes: Sendable {
    let manager: ModelManager
    let created = Int(Date().timeIntervalSince1970)

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let data = manager.registry.modelOrder.compactMap { manager.registry.models[$0] }.map(object)
        return .json(data: CompletionResponse.encode(["object": "list", "data": data]))
    }

    func one(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        guard let spec = manager.registry.models[id] else {
            throw OpenAIError.modelNotFound(id, available: manager.registry.modelOrder)
        }
        return .json(data: CompletionResponse.encode(object(spec)))
    }

    func object(_ spec: ModelSpec) -> [String: Any] {
        let family = manager.registry.families[spec.family]
        var recipe: [String: Any] = ["method": spec.merge.method]
        recipe["parameters"] = Dictionary(uniqueKeysWithValues: spec.merge.parameters.map { key, value -> (String, Any) in
            switch value {
            case .number(let n): return (key, n)
            case .list(let l): return (key, l)
            case .bool(let b): return (key, b)
            case .string(let s): return (key, s)
            }
        })
        let mergeguard: [String: Any] = [
            "trusted": spec.trusted,
            "family": spec.family,
            // A trusted model is served as it is; everything else is merged with the family's donors first.
            "served_as": spec.trusted ? "raw" : "merged",
            "recipe": spec.trusted ? NSNull() : recipe,
            "donors": spec.trusted ? [] : (family?.donors.map { ["path": $0.path, "weight": $0.weight] as [String: Any] } ?? []),
            "loaded": manager.isLoaded(spec.id),
        ]
        return ["id": spec.id, "object": "model", "created": created, "owned_by": "mergeguard", "mergeguard": mergeguard]
    }
}
