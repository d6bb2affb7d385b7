// Everything that can be wrong with a tokenizer description (GGUF metadata or tokenizer.json), naming the file and field.

public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case cannotRead(file: String, reason: String)
    case malformedJSON(file: String, reason: String)
    case missingField(file: String, field: String)
    case wrongFieldType(file: String, field: String, expected: String)
    case unsupportedModel(file: String, field: String, value: String, supported: [String])
    case unsupportedPreTokenizer(file: String, field: String, value: String)
    case unsupportedStage(file: String, field: String, value: String)
    case malformedMerge(file: String, index: Int, merge: String)
    case unknownMergeToken(file: String, index: Int, merge: String, token: String)
    case mergeResultNotInVocabulary(file: String, index: Int, merge: String)
    case missingByteToken(file: String, byte: UInt8, token: String)
    case tokenIDOutOfRange(file: String, field: String, id: Int, vocabularySize: Int)
    case lengthMismatch(file: String, field: String, count: Int, expected: Int)

    public var description: String {
        switch self {
        case .cannotRead(let f, let why):
            return "\(f): cannot read the tokenizer: \(why)"
        case .malformedJSON(let f, let why):
            return "\(f): not valid tokenizer JSON: \(why)"
        case .missingField(let f, let field):
            return "\(f): tokenizer field \"\(field)\" is missing; the file is incomplete or not a tokenizer"
        case .wrongFieldType(let f, let field, let expected):
            return "\(f): tokenizer field \"\(field)\" should be \(expected)"
        case .unsupportedModel(let f, let field, let v, let ok):
            return "\(f): \(field) is \"\(v)\"; only \(ok.joined(separator: ", ")) tokenizers are supported"
        case .unsupportedPreTokenizer(let f, let field, let v):
            return "\(f): pre-tokenizer \(field) = \(v) is not supported yet (supported: GPT-2's ByteLevel regex; "
                + "Digits(individual_digits) + ByteLevel as in SmolLM2 and llama.cpp's \"smollm\"; Llama-3's Split regex)"
        case .unsupportedStage(let f, let field, let v):
            return "\(f): \(field) = \(v) is not supported by this byte-level BPE tokenizer"
        case .malformedMerge(let f, let i, let m):
            return "\(f): merge #\(i) \"\(m)\" is not two tokens separated by one space"
        case .unknownMergeToken(let f, let i, let m, let t):
            return "\(f): merge #\(i) \"\(m)\" names \"\(t)\", which is not in the vocabulary; the merges and vocabulary do not belong together"
        case .mergeResultNotInVocabulary(let f, let i, let m):
            return "\(f): merge #\(i) \"\(m)\" produces a token that is not in the vocabulary"
        case .missingByteToken(let f, let b, let t):
            return "\(f): the vocabulary has no token \"\(t)\" for byte 0x\(String(b, radix: 16)); a byte-level BPE vocabulary needs all 256"
        case .tokenIDOutOfRange(let f, let field, let id, let n):
            return "\(f): \(field) is \(id), outside the vocabulary of \(n) tokens"
        case .lengthMismatch(let f, let field, let n, let expected):
            return "\(f): \(field) has \(n) entries but the vocabulary has \(expected)"
        }
    }
}
