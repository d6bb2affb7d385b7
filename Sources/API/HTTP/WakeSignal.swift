// Lets a libmicrohttpd connection thread sleep until another thread has something for it, the
// client hangs up, or a timeout passes — whichever comes first. A condition variable cannot wait
// on a socket, so the signal is an eventfd and the wait is one poll() over both descriptors.
import Foundation
import CMicroHTTPD

final class WakeSignal: Sendable {
    enum Wake { case signalled, peerClosed, timedOut }

    private let fd: Int32

    init() {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Safe from any thread; wakes at most one pending or future `wait`.
    func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(fd, $0.baseAddress, 8) }
    }

    /// Blocks until signalled, the peer on `socket` closes its end (or resets), or `timeout`.
    /// A negative socket is not watched; a nil timeout waits indefinitely.
    func wait(watching socket: Int32, timeout: Duration?) -> Wake {
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: socket, events: mg_poll_peer_closed, revents: 0),
        ]
        let milliseconds = timeout.map { timeout -> Int32 in
            let (seconds, attoseconds) = timeout.components
            return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        } ?? -1
        let ready = poll(&fds, nfds_t(fds.count), milliseconds)
        if ready < 0 { return .signalled }  // EINTR: callers re-check their state and wait again
        if ready == 0 { return .timedOut }
        let hangUp = mg_poll_peer_closed | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
        if socket >= 0, fds[1].revents & hangUp != 0 { return .peerClosed }
        var counter: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &counter) { read(fd, $0.baseAddress, 8) }
        return .signalled
    }
}
