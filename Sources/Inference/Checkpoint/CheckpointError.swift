// What can be wrong with a checkpoint path or folder as a whole, each naming the path and saying what to do.

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case pathNotFound(path: String)
    case pickleCheckpoint(file: String)
    case missingConfig(folder: String)
    case missingWeights(folder: String)
    case unrecognizedFile(file: String)
    case invalidJSON(file: String, reason: String)
    case invalidField(file: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .pathNotFound(let p):
            return "\(p): no such file or folder"
        case .pickleCheckpoint(let f):
            return "\(f) is a PyTorch pickle checkpoint, which can run arbitrary code when loaded; it is refused. "
                + "Convert it to safetensors first (e.g. load it in a trusted sandbox and save with save_pretrained(..., safe_serialization=True))"
        case .missingConfig(let folder):
            return "\(folder): no config.json; a Hugging Face checkpoint folder needs its config.json next to the weights"
        case .missingWeights(let folder):
            return "\(folder): no model.safetensors or \(ShardedSafetensors.indexFileName); download the safetensors weights into this folder"
        case .unrecognizedFile(let f):
            return "\(f): not a GGUF or safetensors file; give a .gguf file, a Hugging Face folder, or a .safetensors file with config.json next to it"
        case .invalidJSON(let f, let why):
            return "\(f): not valid JSON: \(why)"
        case .invalidField(let f, let field, let why):
            return "\(f): \"\(field)\" \(why)"
        }
    }
}
