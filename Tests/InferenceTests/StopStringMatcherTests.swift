// Stop strings across token pieces: what is released, what is held back, and what is dropped after a match.
import Testing
import Inference

/// Feeds `pieces` and returns everything released (including finish()) and the stop string that matched.
func run(_ stops: [String], _ pieces: [String]) -> (text: String, stop: String?) {
    var matcher = StopStringMatcher(stopStrings: stops)
    var text = ""
    var stop: String?
    for piece in pieces {
        let output = matcher.feed(piece)
        text += output.text
        if let s = output.stopString { stop = s }
    }
    text += matcher.finish()
    return (text, stop)
}

@Suite struct StopStringMatcherTests {
    @Test func stopStringSpanningThreePieces() {
        var matcher = StopStringMatcher(stopStrings: ["lo w"])
        // The final "l" may begin "lo w", so it waits.
        #expect(matcher.feed("Hel") == .init(text: "He"))
        #expect(matcher.heldBackText == "l")
        // Joined, "llo wor" holds the stop string: the held "l" before it is released, the rest dropped.
        #expect(matcher.feed("lo wor") == .init(text: "l", stopString: "lo w"))
        #expect(matcher.isStopped)
        #expect(matcher.feed("ld") == .init(text: ""))
        #expect(matcher.finish() == "")
    }

    @Test func partialMatchIsHeldBackUntilResolved() {
        var matcher = StopStringMatcher(stopStrings: ["lo w"])
        #expect(matcher.feed("Hel") == .init(text: "He"))
        #expect(matcher.feed("lo") == .init(text: "l"))         // "llo": only "lo" may begin "lo w"
        #expect(matcher.heldBackText == "lo")
        #expect(matcher.feed(" ") == .init(text: ""))           // "lo " still may
        #expect(matcher.feed("there") == .init(text: "lo there"))  // "lo t" is not it: released
        #expect(matcher.finish() == "")
    }

    @Test func overlappingCandidatePrefixes() {
        // "aab" holds "ab" (a prefix of "abc"), not "aab"; the second "a" starts the real match.
        var matcher = StopStringMatcher(stopStrings: ["abc"])
        #expect(matcher.feed("aab") == .init(text: "a"))
        #expect(matcher.feed("c tail") == .init(text: "", stopString: "abc"))
        // Self-overlapping stop string: "aab" inside "aaab" found after a false start.
        #expect(run(["aab"], ["a", "a", "a", "b", "zz"]) == ("a", "aab"))
        #expect(run(["aab"], ["a", "a", "a"]) == ("aaa", nil))
    }

    @Test func earliestOfSeveralStopStringsWins() {
        #expect(run(["world", "lo"], ["Hello ", "world"]) == ("Hel", "lo"))
        #expect(run(["END", "STOP"], ["a STO", "P b END"]) == ("a ", "STOP"))
        // Same start: the one listed first is reported; the text before is the same either way.
        #expect(run(["ab", "abc"], ["xabc"]) == ("x", "ab"))
    }

    @Test func stopAtTheVeryStart() {
        #expect(run(["Hello"], ["Hello there"]) == ("", "Hello"))
        #expect(run(["<|im_end|>"], ["<|im", "_end|>", "more"]) == ("", "<|im_end|>"))
    }

    @Test func multiByteCharactersAreNeverSplit() {
        #expect(run(["é!"], ["caf", "é", "!", " ok"]) == ("caf", "é!"))
        // "é" is held (it may begin "éa"), then released whole when "b" follows.
        var matcher = StopStringMatcher(stopStrings: ["éa"])
        #expect(matcher.feed("caf") == .init(text: "caf"))
        #expect(matcher.feed("é") == .init(text: ""))
        #expect(matcher.feed("b") == .init(text: "éb"))
        // Same last byte, different character: "ä" (C3 A4) must not match "¤" (C2 A4).
        #expect(run(["¤"], ["bä", "r"]) == ("bär", nil))
        #expect(run(["🙂 bye"], ["hi 🙂", " b", "ye now"]) == ("hi ", "🙂 bye"))
    }

    @Test func finishFlushesHeldBackText() {
        var matcher = StopStringMatcher(stopStrings: ["###"])
        #expect(matcher.feed("total ##") == .init(text: "total "))
        #expect(matcher.finish() == "##")
        #expect(matcher.finish() == "")
    }

    @Test func noStopStringsPassesEverythingThrough() {
        #expect(run([], ["a", "b"]) == ("ab", nil))
        #expect(run([""], ["a", "b"]) == ("ab", nil))
    }
}
