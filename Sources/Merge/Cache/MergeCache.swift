// Merged weights kept on disk by content address, written atomically and verified before they are served.
import Foundation
import Inference
import Quant

/// Entries are `<key>.safetensors` under `directory`, with the XXH64 of the data section in `__metadata__`.
/// A lookup re-hashes the data; a truncated, corrupted or foreign entry is deleted and reported, never served.
/// Writers use `.<key>.tmp-<pid>-<random>` and rename when done, so readers never see a partial entry; temp files
/// of processes that no longer exist (a killed write) are removed when the cache is opened.
public struct MergeCache: Sendable {
    public let directory: String

    static let format = "mergeguard-merge-cache"
    static let checksumKey = "data_xxh64"

    public enum Lookup: Sendable {
        case hit(MergeCacheEntry)
        case miss
        /// An entry was there but failed verification; it has been deleted.
        case discarded(reason: String)
    }

    public init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MergeWriteError.cannotWrite(file: directory, reason: error.localizedDescription)
        }
        removeStaleTemporaryFiles()
    }

    public func entryPath(_ key: MergeCacheKey) -> String {
        (directory as NSString).appendingPathComponent("\(key.hex).safetensors")
    }

    func temporaryPath(_ key: MergeCacheKey) -> String {
        (directory as NSString).appendingPathComponent(".\(key.hex).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// Deletes temp files whose writing process is gone; returns their paths.
    @discardableResult
    public func removeStaleTemporaryFiles() -> [String] {
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard name.hasPrefix("."), let range = name.range(of: ".tmp-") else { continue }
            let pidText = name[range.upperBound...].prefix { $0 != "-" }
            guard let pid = Int32(pidText) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                let path = (directory as NSString).appendingPathComponent(name)
                if unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed
    }

    /// The verified entry for `key`, or why there is none.
    public func lookup(_ key: MergeCacheKey, tensors: [PlannedTensor]) -> Lookup {
        let path = entryPath(key)
        guard FileManager.default.fileExists(atPath: path) else { return .miss }
        do {
            return .hit(try MergeCacheEntry(path: path, key: key, tensors: tensors))
        } catch {
            unlink(path)
            return .discarded(reason: "\(error)")
        }
    }

    func beginWrite(_ key: MergeCacheKey, tensors: [PlannedTensor], dtype: MergeOutputDType) throws -> SafetensorsStreamWriter {
        try SafetensorsStreamWriter(
            path: entryPath(key), temporaryPath: temporaryPath(key),
            entries: tensors.map { .init(name: $0.name, shape: $0.shape) }, dtype: dtype,
            metadata: ["format": Self.format, "format_version": "\(MergeCacheKey.formatVersion)", "key": key.hex,
                       "recipe": key.recipe],
            checksumKey: Self.checksumKey)
    }
}

public enum MergeCacheError: Error, Equatable, CustomStringConvertible {
    case corrupted(file: String, reason: String)

    public var description: String {
        switch self {
        case .corrupted(let f, let r): return "merge cache entry \(f) is unusable: \(r)"
        }
    }
}

/// A verified cache entry: every tensor of the plan, checksum matched.
public final class MergeCacheEntry: Sendable {
    public let path: String
    public let file: SafetensorsFile

    init(path: String, key: MergeCacheKey, tensors: [PlannedTensor]) throws {
        self.path = path
        let mapped = try MappedFile(path: path)
        // Structure first (a truncated file fails here), then identity, then every data byte.
        file = try SafetensorsFile(mapped: mapped)
        func corrupted(_ reason: String) -> MergeCacheError { .corrupted(file: path, reason: reason) }
        guard file.metadata["format"] == MergeCache.format,
              file.metadata["format_version"] == "\(MergeCacheKey.formatVersion)" else {
            throw corrupted("not a cache entry of this version")
        }
        guard file.metadata["key"] == key.hex else { throw corrupted("it belongs to another key") }
        for tensor in tensors {
            guard let info = file.tensorInfo(tensor.name) else { throw corrupted("tensor \(tensor.name) is missing") }
            guard info.shape == tensor.shape, info.dtype == .f32 || info.dtype == .bf16 else {
                throw corrupted("tensor \(tensor.name) has shape \(info.shape) \(info.dtype.rawValue), expected \(tensor.shape)")
            }
        }
        let data = UnsafeRawBufferPointer(rebasing: mapped.bytes[file.dataOffset...])
        let checksum = XXH64.hexDigest(data)
        guard let stored = file.metadata[MergeCache.checksumKey], stored == checksum else {
            throw corrupted("the data checksum does not match (stored \(file.metadata[MergeCache.checksumKey] ?? "none"), computed \(checksum))")
        }
    }

    public func tensor(_ name: String, _ shape: [Int]) throws -> AlignedBuffer<Float> {
        guard let found = file.shape(of: name) else { throw TensorSourceError.missingTensor(file: path, tensor: name) }
        guard found == shape else { throw TensorSourceError.shapeMismatch(file: path, tensor: name, expected: shape, found: found) }
        let buffer = AlignedBuffer<Float>(count: shape.reduce(1, *))
        try file.readFloats(name, into: buffer.pointer)
        return buffer
    }
}
