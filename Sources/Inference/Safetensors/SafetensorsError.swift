// Everything that can be wrong with a safetensors file, a sharded index or a write, each naming the file and tensor or field.

public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    // The 8-byte length prefix and the JSON header.
    case fileTooSmall(file: String, size: Int)
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
    case truncatedHeader(file: String, headerLength: Int, fileSize: Int)
    case headerNotUTF8(file: String)
    case invalidJSON(file: String, reason: String)
    case headerNotObject(file: String)
    case invalidMetadata(file: String, key: String, reason: String)
    case invalidTensorEntry(file: String, tensor: String, field: String, reason: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    // Where the data of each tensor lies.
    case invalidOffsets(file: String, tensor: String, begin: Int, end: Int)
    case dataGap(file: String, tensor: String, expectedBegin: Int, begin: Int)
    case overlappingTensors(file: String, first: String, second: String)
    case sizeOverflow(file: String, tensor: String, shape: [Int])
    case sizeMismatch(file: String, tensor: String, dtype: String, shape: [Int], expectedBytes: Int, declaredBytes: Int)
    case truncatedData(file: String, tensor: String, end: Int, dataSize: Int)
    case trailingData(file: String, expectedSize: Int, fileSize: Int)
    case missingTensor(file: String, tensor: String)
    // Sharded checkpoints (model.safetensors.index.json).
    case invalidIndex(file: String, reason: String)
    case unsafeShardPath(index: String, shard: String)
    case missingShard(index: String, shard: String, tensor: String)
    case tensorNotInShard(index: String, tensor: String, shard: String)
    // Writing.
    case duplicateTensor(file: String, tensor: String)
    case reservedName(file: String, tensor: String)
    case valueCountMismatch(file: String, tensor: String, shape: [Int], count: Int)
    case valueNotRepresentable(file: String, tensor: String, dtype: String, value: Float)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case .fileTooSmall(let f, let size):
            return "\(f): only \(size) bytes, too small for a safetensors file (it starts with an 8-byte header length); the file is truncated or not safetensors"
        case .headerTooLarge(let f, let n, let limit):
            return "\(f): header length is \(n) bytes, over the \(limit)-byte limit; the file is corrupt or not safetensors"
        case .truncatedHeader(let f, let n, let size):
            return "\(f): header claims \(n) bytes but the file has only \(size) bytes; the file is truncated"
        case .headerNotUTF8(let f):
            return "\(f): the JSON header is not valid UTF-8; the file is corrupt"
        case .invalidJSON(let f, let why):
            return "\(f): the header is not valid JSON (\(why)); the file is corrupt"
        case .headerNotObject(let f):
            return "\(f): the header is JSON but not an object of tensors; the file is corrupt or not safetensors"
        case .invalidMetadata(let f, let k, let why):
            return "\(f): __metadata__ entry \"\(k)\" is invalid: \(why)"
        case .invalidTensorEntry(let f, let t, let field, let why):
            return "\(f): tensor \"\(t)\" has an invalid \"\(field)\": \(why)"
        case .unknownDType(let f, let t, let d):
            return "\(f): tensor \"\(t)\" has unknown dtype \"\(d)\" (known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidOffsets(let f, let t, let b, let e):
            return "\(f): tensor \"\(t)\" has data_offsets [\(b), \(e)]; the end must not come before the begin"
        case .dataGap(let f, let t, let expected, let b):
            return "\(f): tensor \"\(t)\" starts at data offset \(b) but the previous tensor ends at \(expected); tensors must be contiguous from 0"
        case .overlappingTensors(let f, let a, let b):
            return "\(f): tensors \"\(a)\" and \"\(b)\" overlap in the data section"
        case .sizeOverflow(let f, let t, let s):
            return "\(f): tensor \"\(t)\" has shape \(s) whose byte size overflows"
        case .sizeMismatch(let f, let t, let d, let s, let expected, let declared):
            return "\(f): tensor \"\(t)\" is \(d) \(s) = \(expected) bytes but its data_offsets span \(declared) bytes"
        case .truncatedData(let f, let t, let end, let size):
            return "\(f): tensor \"\(t)\" ends at data byte \(end) but the data section has only \(size) bytes; the file is truncated"
        case .trailingData(let f, let expected, let size):
            return "\(f): the header accounts for \(expected) bytes but the file has \(size); the file is corrupt"
        case .missingTensor(let f, let t):
            return "\(f): tensor \"\(t)\" is missing"
        case .invalidIndex(let f, let why):
            return "\(f): not a valid sharded-checkpoint index: \(why)"
        case .unsafeShardPath(let i, let s):
            return "\(i): shard \"\(s)\" is not a plain file name in the index's folder; refusing to read outside it"
        case .missingShard(let i, let s, let t):
            return "\(i): tensor \"\(t)\" is mapped to shard \"\(s)\", which does not exist next to the index; download the missing shard"
        case .tensorNotInShard(let i, let t, let s):
            return "\(i): tensor \"\(t)\" is mapped to shard \"\(s)\" but that shard does not contain it; the index and shards do not match"
        case .duplicateTensor(let f, let t):
            return "\(f): tensor \"\(t)\" appears twice"
        case .reservedName(let f, let t):
            return "\(f): \"\(t)\" is reserved for the header's metadata and cannot name a tensor"
        case .valueCountMismatch(let f, let t, let s, let n):
            return "\(f): tensor \"\(t)\" has shape \(s) but \(n) values were given"
        case .valueNotRepresentable(let f, let t, let d, let v):
            return "\(f): tensor \"\(t)\" holds \(v), which \(d) cannot represent exactly"
        case .cannotWrite(let f, let why):
            return "cannot write \(f): \(why)"
        }
    }
}
