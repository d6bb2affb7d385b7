// A checkpoint split over several safetensors files, joined by model.safetensors.index.json's weight_map.
import Foundation

public final class ShardedSafetensors: Sendable {
    /// The index file; shard names in it are relative to its folder.
    public let indexPath: String
    /// The index's "metadata" (e.g. total_size), stringified; empty when absent.
    public let metadata: [String: String]
    /// Tensor name → shard file name, as the index maps them.
    public let weightMap: [String: String]
    /// Each shard opened once, by file name.
    public let shards: [String: SafetensorsFile]

    public static let indexFileName = "model.safetensors.index.json"

    public init(indexPath: String) throws {
        self.indexPath = indexPath
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: indexPath)) } catch {
            throw SafetensorsError.invalidIndex(file: indexPath, reason: "cannot read it: \(error.localizedDescription)")
        }
        let object: [String: Any]
        do {
            object = try jsonObject(data)
        } catch {
            switch error {
            case .notAnObject: throw SafetensorsError.invalidIndex(file: indexPath, reason: "the top level is not a JSON object")
            case .invalid(let reason): throw SafetensorsError.invalidIndex(file: indexPath, reason: "not valid JSON: \(reason)")
            }
        }
        guard let map = object["weight_map"] as? [String: Any] else {
            throw SafetensorsError.invalidIndex(file: indexPath, reason: "\"weight_map\" is missing or not an object")
        }
        var weightMap: [String: String] = [:]
        for (tensor, shard) in map {
            guard let shard = shard as? String else {
                throw SafetensorsError.invalidIndex(file: indexPath, reason: "weight_map entry \"\(tensor)\" is not a file name")
            }
            weightMap[tensor] = shard
        }
        self.weightMap = weightMap
        metadata = (object["metadata"] as? [String: Any] ?? [:]).mapValues { "\($0)" }

        let folder = URL(fileURLWithPath: indexPath).deletingLastPathComponent()
        var shards: [String: SafetensorsFile] = [:]
        // Sorted so the first problem reported is the same on every run.
        for (tensor, shardName) in weightMap.sorted(by: { $0.key < $1.key }) {
            if shards[shardName] == nil {
                // An index from an untrusted fine-tune must not point us at arbitrary files.
                guard !shardName.isEmpty, !shardName.contains("/"), shardName != "..", shardName != "." else {
                    throw SafetensorsError.unsafeShardPath(index: indexPath, shard: shardName)
                }
                let shardPath = folder.appendingPathComponent(shardName).path
                guard FileManager.default.fileExists(atPath: shardPath) else {
                    throw SafetensorsError.missingShard(index: indexPath, shard: shardName, tensor: tensor)
                }
                shards[shardName] = try SafetensorsFile(path: shardPath)
            }
            guard shards[shardName]?.tensorInfo(tensor) != nil else {
                throw SafetensorsError.tensorNotInShard(index: indexPath, tensor: tensor, shard: shardName)
            }
        }
        self.shards = shards
    }

    /// The shard holding `name`, if the index maps it.
    public func shard(containing name: String) -> SafetensorsFile? { weightMap[name].flatMap { shards[$0] } }
}

extension ShardedSafetensors: TensorSource {
    public var sourcePath: String { indexPath }
    public var tensorNames: [String] { weightMap.keys.sorted() }
    public func shape(of name: String) -> [Int]? { shard(containing: name)?.shape(of: name) }

    public func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        guard let shard = shard(containing: name) else { throw SafetensorsError.missingTensor(file: indexPath, tensor: name) }
        try shard.readFloats(name, into: destination)
    }
}
