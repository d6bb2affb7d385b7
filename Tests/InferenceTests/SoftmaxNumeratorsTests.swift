// The sampling softmax's AVX2 exponentials against expf, on a vocabulary-sized row with ties, -inf and deep tails.
import Foundation
import Testing
import Quant
@testable import Inference

/// exp_nonpositive_avx2's polynomial is about 2 ulp from expf; 4 ulp of relative slack.
let softmaxNumeratorRelativeTolerance: Float = 4 * Float.ulpOfOne

@Suite struct SoftmaxNumeratorsTests {
    @Test(.enabled(if: SoftmaxNumerators.usesAVX2), arguments: [64, 1001, 49152])
    func avx2NumeratorsMatchExpf(count: Int) {
        var random = Xoshiro256StarStar(seed: UInt64(count))
        var logits = (0..<count).map { _ in Float(Double(random.next() % 20_000) / 100 - 150) }   // -150 ..< 50
        logits[0] = 50
        logits[count / 2] = -.infinity
        logits[count - 1] = 50   // a tie for the maximum in the scalar tail
        var storage = logits.enumerated().map { Candidate(id: Int32($0.offset), logit: $0.element, probability: .nan) }
        let sum = storage.withUnsafeMutableBufferPointer {
            SoftmaxStage.numeratorsAVX2($0.baseAddress!, count: count, maxLogit: 50)
        }
        var expected: Double = 0
        for (i, c) in storage.enumerated() {
            let d = logits[i] - 50
            let want: Float = d < -87 ? 0 : expf(d)
            expected += Double(want)
            if want == 0 {
                #expect(c.probability == 0, "token \(i): logit \(logits[i]) must get exactly 0, got \(c.probability)")
            } else {
                #expect(abs(c.probability - want) <= want * softmaxNumeratorRelativeTolerance,
                        "token \(i): \(c.probability) vs expf \(want)")
            }
            #expect(c.id == Int32(i) && c.logit == logits[i], "ids and logits are left alone")
        }
        #expect(abs(sum - expected) <= expected * 1e-6)
    }
}
