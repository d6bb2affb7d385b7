// Reads models.json into a ModelRegistry: relative paths resolved against the file's folder, defaults applied,
// cross-references (a model's family) and the serving rule (untrusted needs donors) checked.
import Foundation
import Inference

struct RegistryParser {
    let file: String
    let folder: URL

    init(file: String) {
        self.file = file
        folder = URL(fileURLWithPath: file).deletingLastPathComponent()
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : folder.appendingPathComponent(path).standardizedFileURL.path
    }

    func fail(_ field: String, _ reason: String) -> RegistryError { .invalid(file: file, field: field, reason: reason) }

    func parse(_ data: Data) throws -> ModelRegistry {
        let root = try JSONFields.parse(data)
        try rejectUnknown(root, allowed: ["server", "families", "models"])
        let server = try parseServer(root.object("server"))
        guard let familiesField = try root.object("families") else { throw fail("families", "is required: at least one model family") }
        var families: [String: FamilySpec] = [:]
        for name in familiesField.object.keys.sorted() {
            families[name] = try parseFamily(name, try requireObject(familiesField, name))
        }
        guard let modelsField = try root.object("models") else { throw fail("models", "is required: at least one model") }
        var models: [String: ModelSpec] = [:]
        let order = try orderedKeys(of: "models", in: data) ?? modelsField.object.keys.sorted()
        for id in order {
            models[id] = try parseModel(id, try requireObject(modelsField, id), families: families)
        }
        guard !models.isEmpty else { throw fail("models", "lists no model") }
        return ModelRegistry(file: file, server: server, families: families, models: models, modelOrder: order)
    }

    func requireObject(_ parent: JSONFields, _ key: String) throws -> JSONFields {
        guard let o = try parent.object(key) else { throw fail(parent.name(key), "must be an object") }
        return o
    }

    func rejectUnknown(_ f: JSONFields, allowed: Set<String>) throws {
        for key in f.object.keys.sorted() where !allowed.contains(key) {
            throw fail(f.name(key), "unknown field (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func parseServer(_ f: JSONFields?) throws -> ServerSettings {
        var s = ServerSettings(cacheDirectory: resolve(".mergeguard-cache"))
        guard let f else { return s }
        try rejectUnknown(f, allowed: ["host", "port", "api_keys", "memory_budget_mb", "cache_dir"])
        if let host = try f.string("host") { s.host = host }
        if let port = try f.integer("port") {
            guard (0...65535).contains(port) else { throw fail(f.name("port"), "is \(port); it must be between 0 and 65535") }
            s.port = port
        }
        if let keys = try f.array("api_keys") {
            guard let strings = keys as? [String], !strings.contains(where: \.isEmpty) else {
                throw fail(f.name("api_keys"), "must be a list of non-empty strings")
            }
            s.apiKeys = strings
        }
        if let budget = try f.integer("memory_budget_mb") {
            guard budget > 0 else { throw fail(f.name("memory_budget_mb"), "is \(budget); it must be positive") }
            s.memoryBudgetMB = budget
        }
        if let dir = try f.string("cache_dir") { s.cacheDirectory = resolve(dir) }
        return s
    }

    func parseFamily(_ name: String, _ f: JSONFields) throws -> FamilySpec {
        try rejectUnknown(f, allowed: ["base", "donors", "merge"])
        let base = try existingPath(f, "base", required: true)!
        var donors: [DonorSpec] = []
        for (i, item) in (try f.array("donors") ?? []).enumerated() {
            let field = f.name("donors[\(i)]")
            if let path = item as? String {
                donors.append(DonorSpec(path: try existing(path, field: field), weight: 1, field: field))
            } else if let object = item as? [String: Any] {
                let d = JSONFields(object, path: field)
                try rejectUnknown(d, allowed: ["path", "weight"])
                donors.append(DonorSpec(path: try existingPath(d, "path", required: true)!,
                                        weight: try weight(d), field: field))
            } else {
                throw fail(field, "must be a path or an object {\"path\", \"weight\"}")
            }
        }
        let merge = try parseRecipe(try f.object("merge"), field: f.name("merge"))
            ?? MergeRecipeSpec(method: "linear", parameters: [:], field: f.name("merge"))
        return FamilySpec(name: name, base: base, donors: donors, merge: merge)
    }

    func parseModel(_ id: String, _ f: JSONFields, families: [String: FamilySpec]) throws -> ModelSpec {
        try rejectUnknown(f, allowed: ["family", "path", "weight", "trusted", "merge"])
        guard let familyName = try f.string("family") else { throw fail(f.name("family"), "is required") }
        guard let family = families[familyName] else {
            throw fail(f.name("family"), "names \"\(familyName)\", which is not under `families` (have: \(families.keys.sorted().joined(separator: ", ")))")
        }
        let trusted = try f.bool("trusted") ?? false
        if !trusted && family.donors.isEmpty {
            throw fail(f.name("trusted"), "the model is untrusted and family \"\(familyName)\" has no donors, so it could only be served raw; add donors to the family or mark the model trusted")
        }
        let merge = try parseRecipe(try f.object("merge"), field: f.name("merge")) ?? family.merge
        return ModelSpec(id: id, family: familyName, path: try existingPath(f, "path", required: false),
                         weight: try weight(f), trusted: trusted, merge: merge)
    }

    func weight(_ f: JSONFields) throws -> Double {
        guard let w = try f.number("weight") else { return 1 }
        guard w > 0 else { throw fail(f.name("weight"), "is \(w); a weight must be greater than 0") }
        return w
    }

    func parseRecipe(_ f: JSONFields?, field: String) throws -> MergeRecipeSpec? {
        guard let f else { return nil }
        try rejectUnknown(f, allowed: ["method", "parameters"])
        guard let method = try f.string("method") else { throw fail(f.name("method"), "is required (e.g. \"linear\", \"ties\")") }
        var parameters: [String: RecipeValue] = [:]
        if let p = try f.object("parameters") {
            for (key, value) in p.object {
                parameters[key] = try recipeValue(value, field: p.name(key))
            }
        }
        return MergeRecipeSpec(method: method, parameters: parameters, field: field)
    }

    func recipeValue(_ value: Any, field: String) throws -> RecipeValue {
        if let n = value as? NSNumber {
            return isJSONBoolean(n) ? .bool(n.boolValue) : .number(n.doubleValue)
        }
        if let s = value as? String { return .string(s) }
        if let list = value as? [Any] {
            let numbers = list.compactMap { ($0 as? NSNumber).flatMap { isJSONBoolean($0) ? nil : $0.doubleValue } }
            guard numbers.count == list.count, !numbers.isEmpty else { throw fail(field, "a list parameter must hold numbers") }
            return .list(numbers)
        }
        throw fail(field, "must be a number, a list of numbers, true/false or a string")
    }

    func existingPath(_ f: JSONFields, _ key: String, required: Bool) throws -> String? {
        guard let path = try f.string(key) else {
            if required { throw fail(f.name(key), "is required") }
            return nil
        }
        return try existing(path, field: f.name(key))
    }

    func existing(_ path: String, field: String) throws -> String {
        let resolved = resolve(path)
        guard FileManager.default.fileExists(atPath: resolved) else {
            throw fail(field, "\(resolved) does not exist")
        }
        return resolved
    }

    /// JSONSerialization forgets key order; /v1/models lists models in the order the operator wrote them.
    func orderedKeys(of section: String, in data: Data) throws -> [String]? {
        // A light scan: the keys of `section` are the strings at depth 2 directly followed by ':'.
        let bytes = [UInt8](data)
        var depth = 0, i = 0
        var inSection = false
        var keys: [String] = []
        var lastString: String?
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                var j = i + 1
                var raw: [UInt8] = []
                while j < bytes.count && bytes[j] != UInt8(ascii: "\"") {
                    if bytes[j] == UInt8(ascii: "\\") { raw.append(bytes[j]); j += 1 }
                    if j < bytes.count { raw.append(bytes[j]) }
                    j += 1
                }
                let quoted = Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")])
                lastString = (try? JSONSerialization.jsonObject(with: quoted, options: [.fragmentsAllowed])) as? String
                i = j + 1
                continue
            }
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 1 && b == UInt8(ascii: "{") { inSection = lastString == section }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 1 { inSection = false }
            case UInt8(ascii: ":"):
                if depth == 2 && inSection, let key = lastString { keys.append(key) }
            default: break
            }
            i += 1
        }
        return keys.isEmpty ? nil : keys
    }
}
