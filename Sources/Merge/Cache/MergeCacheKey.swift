// The content address of a merge: SHA-256 over each input file's fingerprint, the canonical recipe and the format.
import Foundation
import Inference

/// How an input file is fingerprinted.
///
/// `quick` (the default) takes size, mtime (ns) and the SHA-256 of the first and last MiB: O(1) per load however
/// large the checkpoint, and it changes whenever a file is replaced, re-downloaded or edited by any normal tool.
/// It misses only an in-place edit of the middle of a file that keeps its size and then restores the mtime —
/// deliberate tampering with files the operator already trusts enough to merge. `full` hashes every byte
/// (about a second per GB here) for operators who want the key to depend on content alone.
public enum FileFingerprintMode: String, Sendable {
    case quick, full
}

public struct MergeCacheKey: Sendable, Equatable {
    /// Bump when the entry layout or the merge arithmetic changes, so old entries are never served.
    public static let formatVersion = 1
    static let edgeBytes = 1 << 20

    public let hex: String
    /// The text that was hashed (kept in the entry's metadata for debugging).
    public let recipe: String

    public init(engine: MergeEngine, dtype: MergeOutputDType, fingerprint: FileFingerprintMode = .quick) throws {
        let plan = engine.plan
        var lines = ["mergeguard merge cache v\(Self.formatVersion)", "dtype \(dtype.rawValue)",
                     "method \(plan.method)", "seed \(plan.seed)"]
        for (key, value) in plan.parameters.sorted(by: { $0.key < $1.key }) {
            lines.append("parameter \(key) \(Self.canonical(value))")
        }
        lines.append("base")
        lines += try engine.base.files.map { try Self.fingerprint($0, mode: fingerprint) }
        for (role, (model, input)) in zip(plan.models.indices.map { $0 == 0 && plan.untrusted != nil ? "untrusted" : "donor" },
                                          zip(plan.models, engine.inputs)) {
            lines.append("\(role) weight \(Self.number(model.weight))")
            lines += try input.files.map { try Self.fingerprint($0, mode: fingerprint) }
        }
        recipe = lines.joined(separator: "\n")
        hex = SHA256.hexDigest(recipe)
    }

    /// "name size mtime-ns head-sha tail-sha" or "name size full-sha". The folder is left out: moving inputs
    /// does not change the merge.
    static func fingerprint(_ path: String, mode: FileFingerprintMode) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CheckpointError.pathNotFound(path: path) }
        let name = (path as NSString).lastPathComponent
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        switch mode {
        case .full:
            return "\(name) \(bytes.count) \(SHA256.hex(SHA256.hash(bytes)))"
        case .quick:
            let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            let head = UnsafeRawBufferPointer(rebasing: bytes.prefix(edgeBytes))
            let tail = UnsafeRawBufferPointer(rebasing: bytes.suffix(edgeBytes))
            return "\(name) \(bytes.count) \(mtime) \(SHA256.hex(SHA256.hash(head))) \(SHA256.hex(SHA256.hash(tail)))"
        }
    }

    static func number(_ x: Double) -> String { "\(x)" }

    static func canonical(_ value: ParameterValue) -> String {
        switch value {
        case .number(let x): return number(x)
        case .flag(let b): return b ? "true" : "false"
        case .gradient(let anchors): return "[" + anchors.map(number).joined(separator: ",") + "]"
        case .conditional(let choices):
            return "{" + choices.map { "\($0.filter.map { SafetensorsWriter.quoted($0) } ?? "*"):\(canonical($0.value))" }
                .joined(separator: ",") + "}"
        }
    }
}
