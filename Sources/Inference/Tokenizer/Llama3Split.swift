// A hand-written scanner for Llama-3's split regex (also used by Falcon-3, DBRX, Smaug and other tiktoken-style vocabularies):
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// The alternatives are tried in that order at each position, exactly as the regex engine does.

enum Llama3Split {
    /// Calls `emit` with the scalar-index range of each piece of `run[range]`, in order.
    static func split(_ run: ScalarRun, _ range: Range<Int>, emit: (Range<Int>) -> Void) {
        var i = range.lowerBound
        while i < range.upperBound {
            let end = pieceEnd(run, at: i, end: range.upperBound)
            emit(i..<end)
            i = end
        }
    }

    private static func isLineBreak(_ v: UInt32) -> Bool { v == 0x0A || v == 0x0D }

    private static func pieceEnd(_ run: ScalarRun, at i: Int, end: Int) -> Int {
        let classes = run.classes
        let values = run.values
        if let length = contractionLength(values, at: i, end: end) { return i + length }

        // `[^\r\n\p{L}\p{N}]?\p{L}+`: one leading space, tab or punctuation mark may join the word.
        var j = i
        if classes[j] != .letter, classes[j] != .number, !isLineBreak(values[j]), j + 1 < end, classes[j + 1] == .letter { j += 1 }
        if classes[j] == .letter {
            j += 1
            while j < end, classes[j] == .letter { j += 1 }
            return j
        }
        // `\p{N}{1,3}`: numbers in groups of at most three.
        if classes[i] == .number {
            j = i + 1
            while j < end, j < i + 3, classes[j] == .number { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`: punctuation keeps the line breaks that follow it.
        j = i
        if values[j] == 0x20, j + 1 < end, classes[j + 1] == .other { j += 1 }
        if classes[j] == .other {
            j += 1
            while j < end, classes[j] == .other { j += 1 }
            while j < end, isLineBreak(values[j]) { j += 1 }
            return j
        }
        // Only whitespace is left at i.
        var k = i
        while k < end, classes[k] == .whitespace { k += 1 }
        // `\s*[\r\n]+`: whitespace up to and including its last line break.
        var p = k - 1
        while p >= i, !isLineBreak(values[p]) { p -= 1 }
        if p >= i { return p + 1 }
        // `\s+(?!\S)|\s+`, as in GPT-2: leave the last space to the next word.
        return k == end || k - i == 1 ? k : k - 1
    }

    /// `'s 't 're 've 'm 'll 'd` in any case at `i`. Case-insensitive matching also folds U+017F (ſ, long s) to s,
    /// as the reference regex engine does (the tiny tokenizer fixture checks it).
    private static func contractionLength(_ values: [UInt32], at i: Int, end: Int) -> Int? {
        guard values[i] == 0x27, i + 1 < end else { return nil }
        func lower(_ v: UInt32) -> UInt32 { (0x41...0x5A).contains(v) ? v + 0x20 : (v == 0x17F ? 0x73 : v) }
        let a = lower(values[i + 1])
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76:  // r v -> 're 've
            return i + 2 < end && lower(values[i + 2]) == 0x65 ? 3 : nil
        case 0x6C:  // l -> 'll
            return i + 2 < end && lower(values[i + 2]) == 0x6C ? 3 : nil
        default: return nil
        }
    }
}
