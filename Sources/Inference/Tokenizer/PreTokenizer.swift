// The pre-tokenizer: cuts text into the pieces BPE merges within, following each model family's split rules.

/// How a vocabulary's training split its text. Only the byte-level GPT-2 family is implemented so far; the other
/// cases exist so a GGUF or tokenizer.json that asks for them is refused by name rather than tokenized wrongly.
public enum PreTokenizerKind: String, Sendable, Equatable, CaseIterable {
    /// GPT-2's regex (`'s|'t|… ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`).
    case gpt2
    /// Every number character on its own, then GPT-2's regex: SmolLM2's tokenizer.json (Digits with
    /// individual_digits, then ByteLevel) and llama.cpp's "smollm" (also starcoder, refact, command-r, codeshell).
    case smollm
    /// Llama-3's regex (case-insensitive contractions, numbers in threes, a leading space or mark joins a word).
    case llama3
    /// SentencePiece-style (Llama-2): spaces become U+2581, no regex split. Not implemented yet.
    case sentencePiece

    public var isImplemented: Bool { self != .sentencePiece }

    /// Llama-3's split regex as its tokenizer.json writes it in a Split stage.
    public static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
}

struct PreTokenizer: Sendable {
    let kind: PreTokenizerKind
    /// ByteLevel's add_prefix_space: a space is put before each text segment that does not start with one.
    let addPrefixSpace: Bool

    /// Calls `emit` with the byte range of each piece of `bytes[range]`.
    func split(_ bytes: [UInt8], _ range: Range<Int>, emit: (Range<Int>) -> Void) {
        let run = ScalarRun(bytes, range)
        func emitScalars(_ r: Range<Int>) {
            guard !r.isEmpty else { return }
            emit(run.starts[r.lowerBound]..<run.end(r.upperBound - 1))
        }
        switch kind {
        case .smollm:
            // Digits(individual_digits: true) isolates each number character; GPT-2's regex splits what is between.
            var segmentStart = 0
            for i in 0..<run.count where run.classes[i] == .number {
                if segmentStart < i { GPT2Split.split(run, segmentStart..<i, emit: emitScalars) }
                emitScalars(i..<(i + 1))
                segmentStart = i + 1
            }
            if segmentStart < run.count { GPT2Split.split(run, segmentStart..<run.count, emit: emitScalars) }
        case .llama3:
            Llama3Split.split(run, 0..<run.count, emit: emitScalars)
        case .gpt2, .sentencePiece:
            // Tokenizers of unimplemented kinds cannot be constructed, so only .gpt2 reaches here.
            GPT2Split.split(run, 0..<run.count, emit: emitScalars)
        }
    }
}
