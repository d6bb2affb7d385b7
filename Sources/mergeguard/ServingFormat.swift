// How served models are built: the weight format, and merge progress on the terminal.
import API
import Foundation
import Inference
import Merge

enum ServingFormat {
    /// Every served model runs int8 (the f32 path is the test reference).
    static let linear: LlamaWeights.LinearBuilder = LlamaWeights.int8Linear

    /// Merges report every tenth of their tensors on stderr: they take seconds, and a silent server looks stuck.
    static let progress: @Sendable (String, MergeProgress) -> Void = { model, p in
        let step = max(1, p.tensorCount / 10)
        guard p.tensorIndex % step == 0 || p.tensorIndex == p.tensorCount else { return }
        FileHandle.standardError.write(Data("merging \(model): tensor \(p.tensorIndex)/\(p.tensorCount) (\(Int(p.fraction * 100))%)\n".utf8))
    }

    static func loader(registry: ModelRegistry, engine: BatchEngineConfiguration) throws -> ModelLoader {
        try ModelLoader(registry: registry, engineConfiguration: engine, linear: linear, progress: progress)
    }
}
