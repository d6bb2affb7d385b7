// The connection-thread side of ResponseStream: libmicrohttpd's content reader blocks here.
import Foundation

extension ResponseStream {
    enum ReadResult {
        case bytes(Int)
        case endOfStream
        case failed
    }

    private enum Step {
        case copied(Int)
        case end
        case cancelled
        case wait
    }

    /// Fills `buffer` with queued bytes, blocking until there are some, the producer finishes, the
    /// client hangs up, or a heartbeat is due. Blocking is fine: each connection has its own thread.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            switch takeQueued(into: buffer) {
            case .copied(let count): return .bytes(count)
            case .end: return .endOfStream
            case .cancelled: return .failed
            case .wait: break
            }
            switch wake.wait(watching: socketFD, timeout: heartbeat == nil ? nil : heartbeatInterval) {
            case .signalled:
                continue
            case .peerClosed:
                cancel(peerClosed: true)
                return .failed
            case .timedOut:
                if let heartbeat, heartbeat.count <= buffer.count {
                    heartbeat.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: heartbeat.count)
                    return .bytes(heartbeat.count)
                }
            }
        }
    }

    /// Called when libmicrohttpd drops the response; unless the end was delivered, the client
    /// never got it. Cancel handlers are dropped either way: they often capture the stream.
    func readerReleased() {
        cancel()
        state.withLock { $0.cancelHandlers.removeAll() }
    }

    private func takeQueued(into buffer: UnsafeMutableRawBufferPointer) -> Step {
        state.withLock { state -> Step in
            if state.cancelled { return .cancelled }
            var written = 0
            while written < buffer.count, let first = state.pending.first {
                let available = first.count - state.offsetInFirst
                let count = min(available, buffer.count - written)
                let start = first.startIndex + state.offsetInFirst
                first[start..<start + count].copyBytes(
                    to: UnsafeMutableRawBufferPointer(rebasing: buffer[written..<written + count]))
                written += count
                if count == available {
                    state.pending.removeFirst()
                    state.offsetInFirst = 0
                } else {
                    state.offsetInFirst += count
                }
            }
            if written > 0 { return .copied(written) }
            if state.finished {
                state.endDelivered = true
                return .end
            }
            return .wait
        }
    }
}
