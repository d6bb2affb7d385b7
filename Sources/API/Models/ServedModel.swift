// A model loaded for serving: its chat model, its batch engine, and what loading it cost.
import Foundation
import Inference

public final class ServedModel: Sendable {
    public let spec: ModelSpec
    public let chat: ChatModel
    public let engine: BatchEngine
    /// Seconds spent merging (0 for a trusted model served as it is) and loading in total.
    public let mergeSeconds: Double
    public let loadSeconds: Double
    /// What the model holds in memory: weights plus the KV budget its engine may fill.
    public let residentBytes: Int

    public init(spec: ModelSpec, chat: ChatModel, engine: BatchEngine, mergeSeconds: Double, loadSeconds: Double, residentBytes: Int) {
        self.spec = spec
        self.chat = chat
        self.engine = engine
        self.mergeSeconds = mergeSeconds
        self.loadSeconds = loadSeconds
        self.residentBytes = residentBytes
    }

    /// Nothing queued or running: safe to unload.
    var isIdle: Bool {
        let s = engine.statistics
        return s.queued == 0 && s.running == 0
    }
}
