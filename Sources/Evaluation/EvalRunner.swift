// Runs every row of an evaluation set through the chat template and the batch engine (greedy, 12 new tokens),
// all rows queued at once so the engine batches them.
import Foundation
import Inference
import Synchronization

public struct EvalRunner: Sendable {
    public let chat: ChatModel
    public let engine: BatchEngine
    /// New tokens per reply; the zoo's labels come first, so 12 is plenty.
    public var maxTokens = 12

    public init(chat: ChatModel, engine: BatchEngine) {
        self.chat = chat
        self.engine = engine
    }

    /// The replies in row order. `progress(done, total)` is called from the engine thread as rows finish.
    public func replies(for set: EvalSet, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> [String] {
        var parameters = SamplingParameters.greedy
        parameters.maxTokens = maxTokens
        let total = set.rows.count
        let results = Mutex([String?](repeating: nil, count: total))
        let finished = Atomic<Int>(0)
        let allDone = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        var pending = Array(set.rows.enumerated())
        // Submit as the queue allows: a full queue is back-pressure here, not an error.
        while !pending.isEmpty || finished.load(ordering: .acquiring) < total {
            while let (index, row) = pending.first {
                let prompt = try chat.promptTokens(for: [ChatMessage(role: "user", content: row.prompt)])
                let text = Mutex("")
                let request = GenerationRequest(prompt: prompt, parameters: parameters) { event in
                    switch event {
                    case .token(_, let piece): text.withLock { $0 += piece }; return true
                    case .finished(let summary): results.withLock { $0[index] = text.withLock { $0 } + summary.trailingText }
                    case .failed(let error): failure.withLock { $0 = "row \(index + 1): \(error)" }; results.withLock { $0[index] = "" }
                    }
                    let done = finished.add(1, ordering: .acquiringAndReleasing).newValue
                    progress(done, total)
                    if done == total { allDone.signal() }
                    return true
                }
                do {
                    try engine.submit(request)
                    pending.removeFirst()
                } catch .queueFull {
                    break
                }
            }
            if pending.isEmpty { allDone.wait(); break }
            usleep(20_000)
        }
        if let message = failure.withLock({ $0 }) { throw EvalRunError.generationFailed(file: set.file, reason: message) }
        return results.withLock { $0.map { $0 ?? "" } }
    }
}

public enum EvalRunError: Error, CustomStringConvertible {
    case generationFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case .generationFailed(let f, let r): return "\(f): generation failed at \(r)"
        }
    }
}
