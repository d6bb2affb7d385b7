// Hands a response to libmicrohttpd, and reports finished requests to the metrics hook.
import Foundation
import CMicroHTTPD

extension ServerContext {
    /// Bytes libmicrohttpd asks the stream reader for at most per call.
    static let streamBlockSize = 16 * 1024

    func queue(_ response: HTTPResponse, on connection: OpaquePointer, state: RequestState) -> MHD_Result {
        var stream: ResponseStream?
        var producer: (@Sendable (ResponseStream) async -> Void)?
        let created: OpaquePointer?
        switch response.body {
        case .data(let data):
            // MUST_COPY: libmicrohttpd keeps its own copy, so `data` need not outlive this call.
            created = data.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return withUnsafeTemporaryAllocation(byteCount: 1, alignment: 1) { empty in
                        MHD_create_response_from_buffer(0, empty.baseAddress, .RESPMEM_MUST_COPY)
                    }
                }
                return MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: base),
                                                       .RESPMEM_MUST_COPY)
            }
        case .stream(let heartbeat, let body):
            let newStream = ResponseStream(socketFD: mg_connection_fd(connection), heartbeat: heartbeat,
                                           heartbeatInterval: configuration.effectiveHeartbeatInterval)
            // Unknown size makes libmicrohttpd use chunked encoding for HTTP/1.1 clients.
            created = MHD_create_response_from_callback(
                UInt64.max, ServerContext.streamBlockSize, MHDCallbacks.readStream,
                Unmanaged.passRetained(newStream).toOpaque(), MHDCallbacks.releaseStream)
            if created == nil { Unmanaged.passUnretained(newStream).release() }
            stream = newStream
            producer = body
        }
        guard let created else { return .NO }
        // libmicrohttpd rejects framing headers it computes itself (Content-Length, chunked); those are dropped.
        for field in response.headers {
            _ = MHD_add_response_header(created, field.name, field.value)
        }
        let result = MHD_queue_response(connection, UInt32(clamping: response.status.code), created)
        MHD_destroy_response(created)
        guard result == .YES else { return result }
        state.status = response.status
        if let stream, let producer {
            state.stream = stream
            let task = Task(executorPreference: HandlerExecutor.shared) {
                await producer(stream)
                stream.finish()
            }
            stream.onCancel { task.cancel() }
        }
        return result
    }

    func complete(_ state: RequestState, termination: MHD_RequestTerminationCode) {
        var outcome: HTTPRequestRecord.Outcome
        switch termination {
        case .REQUEST_TERMINATED_COMPLETED_OK: outcome = .completed
        case .REQUEST_TERMINATED_TIMEOUT_REACHED: outcome = .timedOut
        case .REQUEST_TERMINATED_DAEMON_SHUTDOWN: outcome = .serverStopped
        case .REQUEST_TERMINATED_CLIENT_ABORT, .REQUEST_TERMINATED_READ_ERROR: outcome = .clientDisconnected
        default: outcome = .failed
        }
        if state.clientLeft { outcome = .clientDisconnected }
        if let stream = state.stream {
            if outcome != .completed { stream.cancel() }
            if stream.clientClosed { outcome = .clientDisconnected }
        }
        onRequestCompleted?(HTTPRequestRecord(
            method: state.method, path: state.path, route: state.route, status: state.status,
            duration: ContinuousClock.now - state.started, outcome: outcome))
    }
}
