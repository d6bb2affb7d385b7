// A one-shot hand-off of a response from a Swift task to a blocked libmicrohttpd thread.
import Dispatch
import Synchronization

final class ResponseSlot: Sendable {
    private let value = Mutex<HTTPResponse?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func fill(_ response: HTTPResponse) {
        value.withLock { $0 = response }
        ready.signal()
    }

    func wait() -> HTTPResponse {
        ready.wait()
        return value.withLock { $0 } ?? HTTPError(.internalServerError, message: "no response was produced").response()
    }
}
