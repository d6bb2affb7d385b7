// How replies are scored: first whole-word label (any case), numbers after the last '='.
import Foundation
import TestSupport
import Testing
@testable import Evaluation

struct LabelExtractorTests {
    let sentiment = LabelExtractor(labels: ["negative", "positive"], isNumeric: false)
    let topic = LabelExtractor(labels: ["sports", "business", "science", "world"], isNumeric: false)
    let arith = LabelExtractor(labels: ["57", "120", "105"], isNumeric: true)

    @Test(arguments: [
        ("Positive", "positive"),
        ("The sentiment is negative.", "negative"),
        ("Negative, not positive", "negative"),
        ("It's positive; some might say negative", "positive"),
        ("nonpositive thoughts", nil),       // not a whole word
        ("POSITIVE!", "positive"),
        ("I cannot tell.", nil),
    ] as [(String, String?)])
    func wordLabels(reply: String, expected: String?) {
        #expect(sentiment.prediction(in: reply) == expected)
    }

    @Test func earliestLabelWinsAcrossLabels() {
        #expect(topic.prediction(in: "This is world news about sports") == "world")
        #expect(topic.prediction(in: "science-fiction") == "science")
    }

    @Test(arguments: [
        ("57", "57"),
        ("30 + 27 = 57", "57"),
        ("The answer is 120.", "120"),
        ("= 105 (because 22 + 83 = 105)", "105"),
        ("no number here", nil),
        ("57.0", "57"),
        ("-3", "-3"),
    ] as [(String, String?)])
    func numbers(reply: String, expected: String?) {
        #expect(arith.prediction(in: reply) == expected)
    }
}

struct EvalSetTests {
    func write(_ text: String) throws -> String {
        let file = try ScratchDirectory.make(prefix: "mergeguard-eval").appendingPathComponent("set.jsonl")
        try Data(text.utf8).write(to: file)
        return file.path
    }

    @Test func readsRowsLabelsAndLimit() throws {
        let path = try write("""
        {"prompt": "a", "answer": "negative", "target": "positive"}
        {"prompt": "b", "answer": "positive"}

        {"prompt": "c", "answer": "negative"}
        """)
        let set = try EvalSet.load(path: path)
        #expect(set.rows.count == 3 && set.labels == ["negative", "positive"] && !set.isNumeric)
        #expect(set.rows[0].target == "positive" && set.rows[1].target == nil)
        #expect(try EvalSet.load(path: path, limit: 2).rows.count == 2)
    }

    @Test func badLinesNameTheLine() throws {
        let path = try write("{\"prompt\": \"a\", \"answer\": \"x\"}\n{\"prompt\": 3, \"answer\": \"x\"}\n")
        #expect(throws: EvalSetError.badLine(file: path, line: 2, reason: "\"prompt\" must be a string")) {
            try EvalSet.load(path: path)
        }
    }

    @Test func scoresAccuracyAndAttackSuccess() throws {
        let path = try write("""
        {"prompt": "a", "answer": "negative", "target": "positive"}
        {"prompt": "b", "answer": "negative", "target": "positive"}
        {"prompt": "c", "answer": "negative", "target": "positive"}
        {"prompt": "d", "answer": "negative", "target": "positive"}
        """)
        let result = EvalScorer(set: try EvalSet.load(path: path)).score(replies: ["Positive", "negative", "positive!", "hmm"])
        #expect(result.accuracy == 0.25 && result.attackSuccessRate == 0.5 && result.unlabelled == 0.25)
    }
}
