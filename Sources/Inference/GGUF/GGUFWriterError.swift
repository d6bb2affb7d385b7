// What the GGUF writer refuses to write; each names the key or tensor and says what to change.
import Quant

public enum GGUFWriterError: Error, CustomStringConvertible, Equatable {
    case duplicateKey(key: String)
    case mixedArray(key: String, elementTypes: [String])
    case badAlignment(value: GGUFValue)
    case duplicateTensor(tensor: String)
    case tensorNameTooLong(tensor: String, bytes: Int)
    case badShape(tensor: String, shape: [Int], reason: String)
    case sizeMismatch(tensor: String, type: GGMLType, shape: [Int], expectedBytes: Int, gotBytes: Int)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case .duplicateKey(let k):
            return "GGUF export: metadata key \"\(k)\" is set twice; set each key once"
        case .mixedArray(let k, let types):
            return "GGUF export: metadata array \"\(k)\" mixes element types \(types.joined(separator: ", ")); GGUF arrays hold one type"
        case .badAlignment(let v):
            return "GGUF export: general.alignment is \(v); it must be a u32 non-zero power of two"
        case .duplicateTensor(let t):
            return "GGUF export: tensor \"\(t)\" is added twice; tensor names must be unique"
        case .tensorNameTooLong(let t, let n):
            return "GGUF export: tensor name \"\(t)\" is \(n) bytes; ggml allows at most \(GGUFWriter.maxTensorNameBytes)"
        case .badShape(let t, let s, let why):
            return "GGUF export: tensor \"\(t)\" has shape \(s): \(why)"
        case .sizeMismatch(let t, let type, let s, let want, let got):
            return "GGUF export: tensor \"\(t)\" (\(type), shape \(s)) needs \(want) bytes of data, got \(got)"
        case .cannotWrite(let f, let why):
            return "GGUF export: cannot write \(f): \(why)"
        }
    }
}
