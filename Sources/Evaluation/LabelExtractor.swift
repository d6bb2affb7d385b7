// Reads the predicted label out of a free-text reply, as the zoo's reference figures were scored: the label that
// appears first in the reply as a whole word (any case); for numeric answers the first number after the last `=`,
// else the first number.
import Foundation

public struct LabelExtractor: Sendable {
    public let labels: [String]
    public let isNumeric: Bool

    public init(labels: [String], isNumeric: Bool) {
        self.labels = labels
        self.isNumeric = isNumeric
    }

    public func prediction(in reply: String) -> String? {
        isNumeric ? number(in: reply) : firstLabel(in: reply)
    }

    /// The label whose first whole-word occurrence starts earliest (a longer label wins a tie at the same place).
    func firstLabel(in reply: String) -> String? {
        let text = Array(reply.lowercased().unicodeScalars)
        var best: (position: Int, label: String)?
        for label in labels {
            let needle = Array(label.lowercased().unicodeScalars)
            guard !needle.isEmpty, needle.count <= text.count else { continue }
            var i = 0
            while i + needle.count <= text.count {
                if Array(text[i..<(i + needle.count)]) == needle && isBoundary(text, i - 1) && isBoundary(text, i + needle.count) {
                    if best == nil || i < best!.position || (i == best!.position && label.count > best!.label.count) {
                        best = (i, label)
                    }
                    break
                }
                i += 1
            }
        }
        return best?.label
    }

    private func isBoundary(_ text: [Unicode.Scalar], _ index: Int) -> Bool {
        guard index >= 0, index < text.count else { return true }
        let p = text[index].properties
        return !(p.isAlphabetic || p.numericType != nil || text[index] == "_")
    }

    /// The first number after the last `=`, else the first number; returned in the labels' spelling when equal.
    func number(in reply: String) -> String? {
        let tail = reply.range(of: "=", options: .backwards).map { String(reply[$0.upperBound...]) }
        guard let found = firstNumber(in: tail ?? reply) ?? (tail != nil ? firstNumber(in: reply) : nil) else { return nil }
        if let value = Double(found), let label = labels.first(where: { Double($0) == value }) { return label }
        return found
    }

    private func firstNumber(in text: String) -> String? {
        var digits = ""
        var started = false
        for ch in text {
            if ch.isASCII && ch.isNumber {
                digits.append(ch)
                started = true
            } else if started && ch == "." && !digits.contains(".") {
                digits.append(ch)
            } else if !started && ch == "-" {
                digits = "-"
            } else if started {
                break
            } else {
                digits = ""
            }
        }
        guard started else { return nil }
        return digits.hasSuffix(".") ? String(digits.dropLast()) : digits
    }
}
