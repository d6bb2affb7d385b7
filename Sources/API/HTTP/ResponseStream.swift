// The producer's end of a streaming response: buffered, callable from any thread, and told
// promptly when the client goes away so the work behind the stream can stop.
import Foundation
import Synchronization

public final class ResponseStream: Sendable {
    struct State {
        var pending: [Data] = []
        var offsetInFirst = 0
        var finished = false
        var cancelled = false
        /// MHD has been told the stream ended normally; a later teardown is not a cancellation.
        var endDelivered = false
        var peerClosed = false
        var cancelHandlers: [@Sendable () -> Void] = []
    }

    let state = Mutex(State())
    /// Wakes the connection thread blocked in `read(into:)` when producers act.
    let wake = WakeSignal()
    /// The client's socket, watched for hang-up while the reader waits.
    let socketFD: Int32
    let heartbeat: Data?
    let heartbeatInterval: Duration

    init(socketFD: Int32, heartbeat: Data?, heartbeatInterval: Duration) {
        self.socketFD = socketFD
        self.heartbeat = heartbeat
        self.heartbeatInterval = heartbeatInterval
    }

    /// Queues bytes for the client. Returns false, without queueing, once the client has gone,
    /// the server is stopping, or `finish()` was called.
    @discardableResult
    public func send(_ data: Data) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.cancelled, !state.finished else { return false }
            if !data.isEmpty { state.pending.append(data) }
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    /// Ends the response after everything already sent has been written. Idempotent.
    public func finish() {
        state.withLock { $0.finished = true }
        wake.signal()
    }

    /// True once the client disconnected or the server stopped before the stream ended.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Runs `handler` once when the stream is cancelled (immediately if it already is). Handlers run
    /// on a server connection thread, so they should only flag work to stop, not do it.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.cancelled { return true }
            // Once the end has been delivered the stream can no longer be cancelled.
            if !state.endDelivered { state.cancelHandlers.append(handler) }
            return false
        }
        if runNow { handler() }
    }

    func cancel(peerClosed: Bool = false) {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.cancelled, !state.endDelivered else { return [] }
            state.cancelled = true
            state.peerClosed = peerClosed
            state.pending.removeAll()
            defer { state.cancelHandlers.removeAll() }
            return state.cancelHandlers
        }
        wake.signal()
        for handler in handlers { handler() }
    }

    var clientClosed: Bool { state.withLock { $0.peerClosed } }
}
