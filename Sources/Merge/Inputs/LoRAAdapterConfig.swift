// adapter_config.json of a PEFT LoRA adapter: rank, alpha, their per-module overrides, and what we refuse.
import Foundation
import Inference

public struct LoRAAdapterConfig: Sendable, Equatable {
    public static let fileName = "adapter_config.json"

    public var rank: Int
    public var alpha: Double
    public var useRSLoRA: Bool
    /// Per-module overrides; keys are matched the way PEFT's `get_pattern_key` does (see `patternKey`).
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]
    /// PEFT stores the delta transposed for Conv1D (GPT-2) targets; the factors keep Linear shapes either way.
    public var fanInFanOut: Bool
    public var targetModules: [String]
    public var baseModelNameOrPath: String?

    public init(rank: Int, alpha: Double, useRSLoRA: Bool = false, rankPattern: [String: Int] = [:],
                alphaPattern: [String: Double] = [:], fanInFanOut: Bool = false, targetModules: [String] = [],
                baseModelNameOrPath: String? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.useRSLoRA = useRSLoRA
        self.rankPattern = rankPattern
        self.alphaPattern = alphaPattern
        self.fanInFanOut = fanInFanOut
        self.targetModules = targetModules
        self.baseModelNameOrPath = baseModelNameOrPath
    }

    /// Parses the file, refusing what a plain LoRA merge would get wrong (DoRA, modules_to_save, trainable tokens,
    /// other PEFT types) instead of merging part of the adapter.
    public init(json data: Data, file: String, adapter: String) throws {
        let object: [String: Any]
        do {
            object = try jsonObject(data)
        } catch {
            switch error {
            case .notAnObject: throw CheckpointError.invalidJSON(file: file, reason: "the top level is not an object")
            case .invalid(let reason): throw CheckpointError.invalidJSON(file: file, reason: reason)
            }
        }
        func present(_ key: String) -> Any? {
            guard let v = object[key], !(v is NSNull) else { return nil }
            return v
        }
        func number(_ key: String) throws -> Double {
            guard let v = present(key) else { throw CheckpointError.invalidField(file: file, field: key, reason: "is missing") }
            guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else {
                throw CheckpointError.invalidField(file: file, field: key, reason: "must be a number")
            }
            return n.doubleValue
        }
        func flag(_ key: String) -> Bool { (present(key) as? NSNumber)?.boolValue ?? false }
        func numbers(_ key: String) throws -> [String: Double] {
            guard let v = present(key) else { return [:] }
            guard let dict = v as? [String: Any] else {
                throw CheckpointError.invalidField(file: file, field: key, reason: "must be an object of module name to number")
            }
            var out: [String: Double] = [:]
            for (k, value) in dict {
                guard let n = value as? NSNumber else {
                    throw CheckpointError.invalidField(file: file, field: "\(key).\(k)", reason: "must be a number")
                }
                out[k] = n.doubleValue
            }
            return out
        }

        if let type = present("peft_type") as? String, type != "LORA" {
            throw MergeInputError.unsupportedAdapter(adapter: adapter, reason: "peft_type \(type) is not supported; only LORA adapters are merged")
        }
        if flag("use_dora") {
            throw MergeInputError.unsupportedAdapter(adapter: adapter, reason: "DoRA adapters (use_dora) are not supported; merge it with PEFT into full weights first")
        }
        if let modules = present("modules_to_save") {
            let names = (modules as? [String]) ?? [String(describing: modules)]
            if !names.isEmpty {
                throw MergeInputError.unsupportedAdapter(adapter: adapter, reason:
                    "modules_to_save (\(names.joined(separator: ", "))) replaces whole modules, which merge-on-load does not "
                    + "support yet; merge the adapter into a full checkpoint with PEFT (merge_and_unload) and give that instead")
            }
        }
        if present("trainable_token_indices") != nil {
            throw MergeInputError.unsupportedAdapter(adapter: adapter, reason: "trainable_token_indices (trained embedding rows) is not supported")
        }
        let r = try number("r")
        guard r >= 1, r == r.rounded() else {
            throw CheckpointError.invalidField(file: file, field: "r", reason: "must be a positive integer")
        }
        var rankPattern: [String: Int] = [:]
        for (key, value) in try numbers("rank_pattern") {
            guard value >= 1, value == value.rounded() else {
                throw CheckpointError.invalidField(file: file, field: "rank_pattern.\(key)", reason: "must be a positive integer")
            }
            rankPattern[key] = Int(value)
        }
        var targets: [String] = []
        if let t = present("target_modules") {
            if let s = t as? String { targets = [s] } else if let list = t as? [String] { targets = list }
        }
        self.init(rank: Int(r), alpha: try number("lora_alpha"), useRSLoRA: flag("use_rslora"), rankPattern: rankPattern,
                  alphaPattern: try numbers("alpha_pattern"), fanInFanOut: flag("fan_in_fan_out"),
                  targetModules: targets, baseModelNameOrPath: present("base_model_name_or_path") as? String)
    }

    /// Rank and alpha of one module ("model.layers.0.self_attn.q_proj"), after rank_pattern / alpha_pattern.
    public func rankAndAlpha(module: String, adapter: String = "") throws -> (rank: Int, alpha: Double) {
        let rank = try Self.patternValue(rankPattern, module: module, field: "rank_pattern", adapter: adapter) ?? self.rank
        let alpha = try Self.patternValue(alphaPattern, module: module, field: "alpha_pattern", adapter: adapter) ?? self.alpha
        return (rank, alpha)
    }

    /// PEFT's scaling: alpha / r, or alpha / √r with rsLoRA.
    public func scale(module: String, adapter: String = "") throws -> Double {
        let (r, alpha) = try rankAndAlpha(module: module, adapter: adapter)
        return useRSLoRA ? alpha / Double(r).squareRoot() : alpha / Double(r)
    }

    /// PEFT's `get_pattern_key`: a key applies when the module name matches the regex `(.*\.)?(key)$` from its
    /// start, and the first matching key in the file's order wins. JSON objects reach us unordered, so when keys
    /// that match give different values we refuse rather than guess which one PEFT would have taken.
    static func patternValue<Value: Equatable>(_ pattern: [String: Value], module: String, field: String,
                                               adapter: String) throws -> Value? {
        var found: (key: String, value: Value)?
        for key in pattern.keys.sorted() {
            guard let regex = try? NSRegularExpression(pattern: "^(.*\\.)?(\(key))$") else {
                throw MergeInputError.unsupportedAdapter(adapter: adapter, reason: "\(field) key \"\(key)\" is not a valid pattern")
            }
            guard regex.firstMatch(in: module, range: NSRange(module.startIndex..., in: module)) != nil else { continue }
            if let found, found.value != pattern[key]! {
                throw MergeInputError.unsupportedAdapter(adapter: adapter, reason:
                    "\(field) keys \"\(found.key)\" and \"\(key)\" both match module \(module) with different values; "
                    + "PEFT would take whichever comes first in the file, so make the keys unambiguous")
            }
            found = (key, pattern[key]!)
        }
        return found?.value
    }
}
