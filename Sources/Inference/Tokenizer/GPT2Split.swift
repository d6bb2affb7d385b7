// A hand-written scanner for GPT-2's split regex, which Swift's Regex would run far too slowly on long texts:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// The alternatives are tried in that order at each position, exactly as the regex engine does.

enum GPT2Split {
    /// Calls `emit` with the scalar-index range of each piece of `run[range]`, in order.
    static func split(_ run: ScalarRun, _ range: Range<Int>, emit: (Range<Int>) -> Void) {
        var i = range.lowerBound
        let end = range.upperBound
        let classes = run.classes
        let values = run.values
        while i < end {
            let start = i
            if let length = contractionLength(values, at: i, end: end) {
                i += length
            } else {
                // ` ?X+` for X in letter, number, other: an optional ASCII space, then a run of one class.
                var j = i
                if values[j] == 0x20, j + 1 < end, classes[j + 1] != .whitespace { j += 1 }
                let cls = classes[j]
                if cls != .whitespace {
                    j += 1
                    while j < end, classes[j] == cls { j += 1 }
                    i = j
                } else {
                    // `\s+(?!\S)` keeps the last space for the next word; `\s+` takes a lone one or the tail.
                    var k = i
                    while k < end, classes[k] == .whitespace { k += 1 }
                    if k == end || k - i == 1 {
                        i = k
                    } else {
                        i = k - 1
                    }
                }
            }
            emit(start..<i)
        }
    }

    /// The length of `'s 't 're 've 'm 'll 'd` (lower case only, as in GPT-2) at `i`, if one is there.
    private static func contractionLength(_ values: [UInt32], at i: Int, end: Int) -> Int? {
        guard values[i] == 0x27, i + 1 < end else { return nil }
        let a = values[i + 1]
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76:  // r v -> 're 've
            return i + 2 < end && values[i + 2] == 0x65 ? 3 : nil
        case 0x6C:  // l -> 'll
            return i + 2 < end && values[i + 2] == 0x6C ? 3 : nil
        default: return nil
        }
    }
}
