// Whether the server can answer yet: the default model is loaded at start-up in the background, as llama.cpp's
// server does, and /health says 503 until it is in memory.
import Synchronization

public final class Readiness: Sendable {
    public enum State: Sendable, Equatable {
        case loading
        case ready
        case failed(String)
    }

    private let value = Mutex(State.loading)

    public init() {}

    public var state: State { value.withLock { $0 } }

    public func set(_ state: State) { value.withLock { $0 = state } }
}
