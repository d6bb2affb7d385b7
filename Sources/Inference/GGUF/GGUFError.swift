// Everything that can be wrong with a GGUF file, each naming the file and the field or tensor.

public enum GGUFError: Error, CustomStringConvertible, Equatable {
    case badMagic(file: String, found: String)
    case unsupportedVersion(file: String, version: UInt32)
    case truncated(file: String, offset: Int, reading: String)
    case unknownValueType(file: String, key: String, type: UInt32)
    case arrayTooDeep(file: String, key: String, depth: Int)
    case duplicateKey(file: String, key: String)
    case duplicateTensor(file: String, tensor: String)
    case tooManyDimensions(file: String, tensor: String, dimensions: UInt32)
    case unknownTensorType(file: String, tensor: String, type: UInt32)
    case badShape(file: String, tensor: String, shape: [UInt64], reason: String)
    case misalignedTensor(file: String, tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfRange(file: String, tensor: String, end: Int, fileSize: Int)
    case overlappingTensors(file: String, first: String, second: String)
    case badAlignment(file: String, alignment: UInt32)
    case missingKey(file: String, key: String)
    case wrongKeyType(file: String, key: String, expected: String, found: String)
    case missingTensor(file: String, tensor: String)

    public var description: String {
        switch self {
        case .badMagic(let f, let m):
            return "\(f): not a GGUF file (magic is \(m), expected \"GGUF\")"
        case .unsupportedVersion(let f, let v):
            return "\(f): GGUF version \(v) is not supported (versions 2 and 3 are)"
        case .truncated(let f, let o, let what):
            return "\(f): file ends at byte \(o) while reading \(what); the file is truncated or corrupt"
        case .unknownValueType(let f, let k, let t):
            return "\(f): metadata key \"\(k)\" has unknown value type \(t)"
        case .arrayTooDeep(let f, let k, let d):
            return "\(f): metadata key \"\(k)\" nests arrays \(d) deep (at most \(GGUFByteReader.maxArrayNesting) allowed); the file is corrupt"
        case .duplicateKey(let f, let k):
            return "\(f): metadata key \"\(k)\" appears twice"
        case .duplicateTensor(let f, let t):
            return "\(f): tensor \"\(t)\" appears twice"
        case .tooManyDimensions(let f, let t, let n):
            return "\(f): tensor \"\(t)\" has \(n) dimensions (at most 4 allowed)"
        case .unknownTensorType(let f, let t, let ty):
            return "\(f): tensor \"\(t)\" has unknown ggml type \(ty)"
        case .badShape(let f, let t, let s, let why):
            return "\(f): tensor \"\(t)\" has shape \(s): \(why)"
        case .misalignedTensor(let f, let t, let o, let a):
            return "\(f): tensor \"\(t)\" starts at data offset \(o), not a multiple of the alignment \(a)"
        case .tensorOutOfRange(let f, let t, let end, let size):
            return "\(f): tensor \"\(t)\" ends at byte \(end), past the end of the file (\(size) bytes); the file is truncated"
        case .overlappingTensors(let f, let a, let b):
            return "\(f): tensors \"\(a)\" and \"\(b)\" overlap in the data section"
        case .badAlignment(let f, let a):
            return "\(f): general.alignment is \(a); it must be a non-zero power of two"
        case .missingKey(let f, let k):
            return "\(f): metadata key \"\(k)\" is missing"
        case .wrongKeyType(let f, let k, let e, let got):
            return "\(f): metadata key \"\(k)\" is \(got), expected \(e)"
        case .missingTensor(let f, let t):
            return "\(f): tensor \"\(t)\" is missing"
        }
    }
}
