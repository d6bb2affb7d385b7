// The connection-thread side of ResponseStream: libmicrohttpd's content reader blocks here.
import Foundation
import CMicroHTTPD

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
            switch waitForWork() {
            case .woken:
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

    /// Called when libmicrohttpd drops the response; unless the end was delivered, the client never got it.
    func readerReleased() {
        cancel()
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

    private enum Wake { case woken, peerClosed, timedOut }

    private func waitForWork() -> Wake {
        var fds = [
            pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: socketFD, events: mg_poll_peer_closed, revents: 0),
        ]
        let timeout = heartbeat == nil ? -1 : heartbeatMilliseconds
        let ready = poll(&fds, nfds_t(fds.count), timeout)
        if ready < 0 { return .woken }  // EINTR: re-check the queue and wait again
        if ready == 0 { return .timedOut }
        let hangUp = mg_poll_peer_closed | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
        if fds[1].revents & hangUp != 0 { return .peerClosed }
        var counter: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &counter) { Glibc.read(wakeFD, $0.baseAddress, 8) }
        return .woken
    }
}
