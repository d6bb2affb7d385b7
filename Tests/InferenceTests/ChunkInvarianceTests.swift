// On the served (int8) path a prompt row's numbers do not depend on how the prompt was cut into chunks: the prefix
// cache restores rows that an earlier prompt computed in other chunks, and the same seed must still give the same
// text. (The f32 reference path is not held to this: OpenBLAS blocks its products by the row count.)
import Testing
@testable import Inference

@Suite(.serialized) struct ChunkInvarianceTests {
    @Test func promptSplitAnywhereGivesTheSameLogitsAndCache() throws {
        let chat = try SmolLM2Int8.chat.get()
        let model = chat.model
        let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: "What is the capital of France?")])
        let state = model.makeState(maxBatch: 64, maxPositions: 128)
        let whole = model.makeCache(capacity: 128)
        let reference = Array(try model.forward(runs: [SequenceRun(tokens: prompt[...], cache: whole, isPrompt: true)], state: state))
        for split in [1, 7, prompt.count / 2, prompt.count - 1] {
            let cache = model.makeCache(capacity: 128)
            _ = try model.forward(runs: [SequenceRun(tokens: prompt[..<split], cache: cache, isPrompt: true)], state: state)
            let logits = Array(try model.forward(runs: [SequenceRun(tokens: prompt[split...], cache: cache, isPrompt: true)], state: state))
            var worst: Float = 0
            for (a, b) in zip(reference, logits) { worst = max(worst, abs(a - b)) }
            var worstKV: Float = 0
            for l in 0..<model.config.layerCount {
                for p in 0..<prompt.count {
                    for values in [false, true] {
                        for (a, b) in zip(whole.row(layer: l, position: p, values: values),
                                          cache.row(layer: l, position: p, values: values)) {
                            worstKV = max(worstKV, abs(a - b))
                        }
                    }
                }
            }
            #expect(worst == 0 && worstKV == 0, "split at \(split): logits differ by \(worst), KV rows by \(worstKV)")
        }
    }
}

