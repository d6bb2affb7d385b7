// A PEFT LoRA adapter as a merge input: its task vector δ = scale·B·A, computed per tensor when asked for.
import Foundation
import Inference
import Quant

public struct LoRAAdapterInput: MergeInput {
    public static let weightsFileName = "adapter_model.safetensors"
    static let keyPrefix = "base_model.model."

    /// The factors of one targeted weight.
    public struct Module: Sendable, Equatable {
        public let loraA: String      // (r, in)
        public let loraB: String      // (out, r)
        public let rank: Int
        public let scale: Double
        public let shape: [Int]       // (out, in), the targeted weight's
    }

    public let path: String
    public let config: LoRAAdapterConfig
    public let configPath: String
    public let weights: SafetensorsFile
    /// HF weight name ("model.layers.0.self_attn.q_proj.weight") to its factors.
    public let modules: [String: Module]

    public var tensorShapes: [String: [Int]] { modules.mapValues(\.shape) }
    public func contributes(to hfName: String) -> Bool { modules[hfName] != nil }
    public var files: [String] { [configPath, weights.path] }

    public init(folder: String) throws {
        path = folder
        let dir = URL(fileURLWithPath: folder)
        configPath = dir.appendingPathComponent(LoRAAdapterConfig.fileName).path
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw CheckpointError.pathNotFound(path: configPath)
        }
        config = try LoRAAdapterConfig(json: data, file: configPath, adapter: folder)
        let weightsPath = dir.appendingPathComponent(Self.weightsFileName).path
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if let pickle = names.sorted().first(where: PickleCheckpoint.isPickleName) {
                throw CheckpointError.pickleCheckpoint(file: dir.appendingPathComponent(pickle).path)
            }
            throw CheckpointError.pathNotFound(path: weightsPath)
        }
        weights = try SafetensorsFile(path: weightsPath)
        modules = try Self.pairFactors(weights, config: config, adapter: folder)
    }

    /// Pairs every lora_A with its lora_B and checks their ranks against the config; any other key is refused,
    /// so nothing in the adapter is silently left out of the merge.
    static func pairFactors(_ weights: SafetensorsFile, config: LoRAAdapterConfig, adapter: String) throws -> [String: Module] {
        var modules: [String: Module] = [:]
        let names = Set(weights.tensorNames)
        for key in weights.tensorNames.sorted() {
            guard key.hasPrefix(keyPrefix), key.hasSuffix(".lora_A.weight") || key.hasSuffix(".lora_B.weight") else {
                throw MergeInputError.unsupportedAdapter(adapter: adapter, reason:
                    "tensor \"\(key)\" is not a LoRA factor (lora_A / lora_B of a linear layer); only those are merged")
            }
            guard key.hasSuffix(".lora_A.weight") else {
                let partner = key.replacingOccurrences(of: ".lora_B.weight", with: ".lora_A.weight")
                if !names.contains(partner) {
                    throw MergeInputError.malformedAdapter(adapter: adapter, tensor: key, reason: "has no matching lora_A")
                }
                continue
            }
            let module = String(key.dropFirst(keyPrefix.count).dropLast(".lora_A.weight".count))
            let keyB = keyPrefix + module + ".lora_B.weight"
            guard let shapeA = weights.shape(of: key), let shapeB = weights.shape(of: keyB) else {
                throw MergeInputError.malformedAdapter(adapter: adapter, tensor: key, reason: "has no matching lora_B")
            }
            guard shapeA.count == 2, shapeB.count == 2, shapeA[0] == shapeB[1] else {
                throw MergeInputError.malformedAdapter(adapter: adapter, tensor: module, reason:
                    "lora_A has shape \(shapeA) and lora_B \(shapeB); expected [r, in] and [out, r]")
            }
            guard weights.tensorInfo(key)!.dtype.isFloatingPoint, weights.tensorInfo(keyB)!.dtype.isFloatingPoint else {
                throw MergeInputError.unsupportedAdapter(adapter: adapter, reason: "\(module): quantized LoRA factors are not supported")
            }
            let (rank, _) = try config.rankAndAlpha(module: module, adapter: adapter)
            guard rank == shapeA[0] else {
                throw MergeInputError.malformedAdapter(adapter: adapter, tensor: module, reason:
                    "the factors have rank \(shapeA[0]) but adapter_config.json gives r = \(rank) for this module")
            }
            modules[module + ".weight"] = Module(loraA: key, loraB: keyB, rank: rank,
                                                 scale: try config.scale(module: module, adapter: adapter),
                                                 shape: [shapeB[0], shapeA[1]])
        }
        return modules
    }

    public func read(_ hfName: String, into destination: UnsafeMutableBufferPointer<Float>) throws -> TensorContribution {
        guard let module = modules[hfName] else { return .unchanged }
        let (out, inFeatures, r) = (module.shape[0], module.shape[1], module.rank)
        guard destination.count == out * inFeatures, let c = destination.baseAddress else {
            throw MergeError.inputSizeMismatch(tensor: hfName, model: path, expected: destination.count, got: out * inFeatures)
        }
        let a = AlignedBuffer<Float>(count: r * inFeatures)
        let b = AlignedBuffer<Float>(count: out * r)
        try weights.readFloats(module.loraA, into: a.pointer)
        try weights.readFloats(module.loraB, into: b.pointer)
        try MergeInputs.checkFinite(a.readOnly, model: path, tensor: module.loraA)
        try MergeInputs.checkFinite(b.readOnly, model: path, tensor: module.loraB)
        // B·A first, then the scale, in f32 like PEFT's get_delta_weight; the factors keep Linear shapes even with
        // fan_in_fan_out (only a Conv1D weight is stored transposed), and our weights are Linear [out, in].
        // The buffers must outlive the raw pointers handed to BLAS.
        withExtendedLifetime((a, b)) {
            F32.gemm(m: out, n: inFeatures, k: r, a: b.pointer, lda: r, b: a.pointer, ldb: inFeatures, transposeB: false,
                     c: c, ldc: inFeatures)
        }
        let scale = Float(module.scale)
        if scale != 1 { for i in 0..<destination.count { c[i] *= scale } }
        return .delta
    }
}
