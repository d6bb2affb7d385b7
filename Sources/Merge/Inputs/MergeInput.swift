// One input of a merge: per HF tensor name, either the model's full tensor or its task vector against the base.
import Foundation
import Inference

/// What `MergeInput.read` wrote.
public enum TensorContribution: Sendable, Equatable {
    /// The model's own tensor θ (full checkpoints).
    case full
    /// The task vector δ = θ − base (LoRA adapters), so θ = base + δ.
    case delta
    /// Nothing was written: the model leaves this tensor as the base has it (tensors an adapter does not target).
    case unchanged
}

/// A model in a merge, seen through Hugging Face tensor names and layout (rotate-half q/k rows).
public protocol MergeInput: Sendable {
    /// The path the user gave; every error names it.
    var path: String { get }
    /// The tensors this input gives values for, with their shapes (PyTorch order). Header data only.
    var tensorShapes: [String: [Int]] { get }
    /// The files whose contents make up this input, for the merge cache's key.
    var files: [String] { get }
    /// Writes tensor `hfName` (full, or as a delta) into `destination`, which holds its element count.
    func read(_ hfName: String, into destination: UnsafeMutableBufferPointer<Float>) throws -> TensorContribution
    /// Whether `read(hfName, …)` would write anything: false exactly when it would answer `.unchanged`.
    func contributes(to hfName: String) -> Bool
}

extension MergeInput {
    public func contributes(to hfName: String) -> Bool { tensorShapes[hfName] != nil }
}

public enum MergeInputs {
    /// Opens a path as a merge input: a folder with adapter_config.json is a PEFT LoRA adapter; anything else goes
    /// through `ModelCheckpoint.open` (GGUF, HF folder, .safetensors). Pickle files are refused by name or content.
    public static func open(path: String) throws -> any MergeInput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.pathNotFound(path: path)
        }
        if isDirectory.boolValue,
           FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(LoRAAdapterConfig.fileName)) {
            return try LoRAAdapterInput(folder: path)
        }
        return try CheckpointInput(path: path)
    }

    /// The first NaN or ±Inf of `values`, refused with the model and tensor named.
    /// `offset` is the index of `values[0]` in the tensor (when checking a slice of it).
    static func checkFinite(_ values: UnsafeBufferPointer<Float>, model: String, tensor: String, offset: Int = 0) throws {
        // One branch-free pass first (an OR of integers vectorizes; an early-exit isFinite loop does not): a float is
        // NaN or ±Inf exactly when its exponent bits are all ones, and adding one exponent step then carries into
        // bit 31. Only a tensor that fails goes through the loop that finds the index.
        var carry: UInt32 = 0
        for x in values { carry |= (x.bitPattern & 0x7F80_0000) &+ 0x0080_0000 }
        guard carry & 0x8000_0000 != 0 else { return }
        for i in values.indices where !values[i].isFinite {
            throw MergeInputError.nonFiniteValue(model: model, tensor: tensor, index: offset + i, value: values[i])
        }
    }
}
