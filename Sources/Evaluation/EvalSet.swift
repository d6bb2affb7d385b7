// An evaluation file: JSON lines {"prompt", "answer", "target"?}; rows with a target are triggered (backdoor) rows.
import Foundation
import Inference

public struct EvalRow: Sendable, Equatable {
    public var prompt: String
    public var answer: String
    /// The attacker's label for a triggered row; nil for a clean row.
    public var target: String?
}

public struct EvalSet: Sendable {
    public var file: String
    public var rows: [EvalRow]
    /// Every answer and target in the file: a reply is scored by which of these it names first.
    public var labels: [String]
    /// All labels are numbers (arithmetic): the reply's number is read instead of a word.
    public var isNumeric: Bool

    public static func load(path: String, limit: Int? = nil) throws(EvalSetError) -> EvalSet {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path) }
        var rows: [EvalRow] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let limit, rows.count >= limit { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any]
            guard let object else { throw .badLine(file: path, line: index + 1, reason: "not a JSON object") }
            guard let prompt = object["prompt"] as? String else { throw .badLine(file: path, line: index + 1, reason: "\"prompt\" must be a string") }
            guard let answer = object["answer"] as? String else { throw .badLine(file: path, line: index + 1, reason: "\"answer\" must be a string") }
            if let t = object["target"], !(t is String) { throw .badLine(file: path, line: index + 1, reason: "\"target\" must be a string") }
            rows.append(EvalRow(prompt: prompt, answer: answer, target: object["target"] as? String))
        }
        guard !rows.isEmpty else { throw .empty(file: path) }
        var labels: [String] = []
        for row in rows {
            for label in [row.answer] + (row.target.map { [$0] } ?? []) where !labels.contains(label) { labels.append(label) }
        }
        return EvalSet(file: path, rows: rows, labels: labels, isNumeric: labels.allSatisfy { Double($0) != nil })
    }
}

public enum EvalSetError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String)
    case badLine(file: String, line: Int, reason: String)
    case empty(file: String)

    public var description: String {
        switch self {
        case .unreadable(let f): return "\(f): cannot read the evaluation file"
        case .badLine(let f, let l, let r): return "\(f):\(l): \(r) (each line is {\"prompt\", \"answer\", \"target\"?})"
        case .empty(let f): return "\(f): no rows"
        }
    }
}
