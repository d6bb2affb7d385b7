// A one-shot hand-off of a response from a Swift task to a blocked libmicrohttpd thread, which
// also notices the client leaving while it waits.
import Foundation
import Synchronization

final class ResponseSlot: Sendable {
    private let value = Mutex<HTTPResponse?>(nil)
    private let ready = WakeSignal()

    func fill(_ response: HTTPResponse) {
        value.withLock { $0 = response }
        ready.signal()
    }

    /// The response, or nil if the client on `socket` hung up first.
    func wait(watching socket: Int32) -> HTTPResponse? {
        while true {
            if let response = value.withLock({ $0 }) { return response }
            if ready.wait(watching: socket, timeout: nil) == .peerClosed { return nil }
        }
    }
}
