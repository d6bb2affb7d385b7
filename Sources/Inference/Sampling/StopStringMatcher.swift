// Finds stop strings in streamed text that may span token pieces, releasing only text that cannot be part of one.

/// Feed it each decoded piece; it returns what is safe to show now and holds back any tail that could still grow
/// into a stop string. On a match the text before it is released, the stop string is not, and everything after it
/// (in that piece and later ones) is dropped, as OpenAI and llama.cpp do.
///
/// Matching is on UTF-8 bytes, like llama.cpp: a valid UTF-8 stop string can only match at character boundaries,
/// and a held-back tail always starts at one, so released text never splits a character. (A stop string that is
/// a base letter still matches before a combining mark that follows it, as byte matching does everywhere.)
public struct StopStringMatcher: Sendable {
    public struct Output: Sendable, Equatable {
        /// Text to emit now.
        public var text: String
        /// The stop string found, when generation must end; nil to keep going.
        public var stopString: String?

        public init(text: String, stopString: String? = nil) {
            self.text = text
            self.stopString = stopString
        }
    }

    public let stopStrings: [String]
    private let patterns: [[UInt8]]
    private let longestPattern: Int
    private var held: [UInt8] = []
    /// The stop string that ended the text, once one has.
    public private(set) var matchedStopString: String?

    /// Empty stop strings are ignored (validation rejects them in requests).
    public init(stopStrings: [String]) {
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
        patterns = self.stopStrings.map { Array($0.utf8) }
        longestPattern = patterns.map(\.count).max() ?? 0
    }

    public var isStopped: Bool { matchedStopString != nil }

    /// Text currently held back because it might begin a stop string.
    public var heldBackText: String { String(decoding: held, as: UTF8.self) }

    public mutating func feed(_ piece: String) -> Output {
        guard !isStopped else { return Output(text: "") }
        guard !patterns.isEmpty else { return Output(text: piece) }
        var text = held
        text.append(contentsOf: piece.utf8)
        held.removeAll(keepingCapacity: true)

        if let (start, index) = earliestMatch(in: text) {
            matchedStopString = stopStrings[index]
            return Output(text: String(decoding: text[..<start], as: UTF8.self), stopString: stopStrings[index])
        }
        let keep = longestPartialMatch(atEndOf: text)
        held.append(contentsOf: text[(text.count - keep)...])
        return Output(text: String(decoding: text[..<(text.count - keep)], as: UTF8.self))
    }

    /// End of generation: releases whatever was held back (nothing once a stop string matched).
    public mutating func finish() -> String {
        defer { held.removeAll() }
        return isStopped ? "" : String(decoding: held, as: UTF8.self)
    }

    /// The earliest-starting stop string in `text`; on equal starts the one listed first wins, as in llama.cpp.
    private func earliestMatch(in text: [UInt8]) -> (start: Int, index: Int)? {
        var best: (start: Int, index: Int)?
        for (index, pattern) in patterns.enumerated() {
            guard let start = firstOccurrence(of: pattern, in: text) else { continue }
            if best == nil || start < best!.start { best = (start, index) }
        }
        return best
    }

    private func firstOccurrence(of pattern: [UInt8], in text: [UInt8]) -> Int? {
        guard pattern.count <= text.count else { return nil }
        for start in 0...(text.count - pattern.count) where matches(pattern, text, at: start, length: pattern.count) {
            return start
        }
        return nil
    }

    /// The length of the longest tail of `text` that is a proper prefix of some stop string: the part that must
    /// wait for the next piece. Every later match has to start inside that tail.
    private func longestPartialMatch(atEndOf text: [UInt8]) -> Int {
        var length = min(longestPattern - 1, text.count)
        while length > 0 {
            let start = text.count - length
            for pattern in patterns where pattern.count > length && matches(pattern, text, at: start, length: length) {
                return length
            }
            length -= 1
        }
        return 0
    }

    /// pattern[0..<length] == text[start..<start+length]
    private func matches(_ pattern: [UInt8], _ text: [UInt8], at start: Int, length: Int) -> Bool {
        for i in 0..<length where pattern[i] != text[start + i] { return false }
        return true
    }
}
