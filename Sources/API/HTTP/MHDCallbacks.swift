// The C entry points libmicrohttpd calls: request arrival and upload, completion, and the
// content reader behind streaming responses. Each recovers its Swift object from a closure pointer.
import Foundation
import CMicroHTTPD

enum MHDCallbacks {
    static let accessHandler: MHD_AccessHandlerCallback = {
        closure, connection, url, method, _, uploadData, uploadDataSize, requestContext in
        guard let closure, let connection, let requestContext, let uploadDataSize else { return .NO }
        let context = Unmanaged<ServerContext>.fromOpaque(closure).takeUnretainedValue()
        guard let existing = requestContext.pointee else {
            // First call: the headers are in; the body (if any) follows in later calls.
            let state = RequestState(connection: connection,
                                     method: method.map { String(cString: $0) } ?? "GET",
                                     path: url.map { String(cString: $0) } ?? "/")
            requestContext.pointee = Unmanaged.passRetained(state).toOpaque()
            if let declared = state.declaredBodySize, declared > context.configuration.maxBodySize {
                // Answering before the body is read makes libmicrohttpd discard it and close the connection.
                return context.queue(tooLarge(context), on: connection, state: state)
            }
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()
        if uploadDataSize.pointee > 0 {
            state.receive(UnsafeRawBufferPointer(start: uploadData, count: uploadDataSize.pointee),
                          limit: context.configuration.maxBodySize)
            uploadDataSize.pointee = 0
            return .YES
        }
        if state.bodyTooLarge {
            return context.queue(tooLarge(context), on: connection, state: state)
        }
        let match = context.router.match(method: state.method, path: state.path)
        if case .found(_, _, let pattern) = match { state.route = pattern.description }
        guard let response = context.respondBlocking(to: state.request(), match: match,
                                                     socket: mg_connection_fd(connection)) else {
            state.clientLeft = true
            return .NO  // nobody to answer; libmicrohttpd closes the connection
        }
        return context.queue(response, on: connection, state: state)
    }

    static let requestCompleted: MHD_RequestCompletedCallback = { closure, _, requestContext, termination in
        guard let closure, let requestContext, let raw = requestContext.pointee else { return }
        requestContext.pointee = nil
        let context = Unmanaged<ServerContext>.fromOpaque(closure).takeUnretainedValue()
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeRetainedValue()
        context.complete(state, termination: termination)
    }

    static let readStream: MHD_ContentReaderCallback = { closure, _, buffer, capacity in
        guard let closure, let buffer else { return -2 }
        let stream = Unmanaged<ResponseStream>.fromOpaque(closure).takeUnretainedValue()
        switch stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: capacity)) {
        case .bytes(let count): return count
        case .endOfStream: return -1  // MHD_CONTENT_READER_END_OF_STREAM
        case .failed: return -2  // MHD_CONTENT_READER_END_WITH_ERROR
        }
    }

    static let releaseStream: MHD_ContentReaderFreeCallback = { closure in
        guard let closure else { return }
        Unmanaged<ResponseStream>.fromOpaque(closure).takeRetainedValue().readerReleased()
    }

    private static func tooLarge(_ context: ServerContext) -> HTTPResponse {
        HTTPError(.contentTooLarge,
                  message: "request body exceeds the limit of \(context.configuration.maxBodySize) bytes").response()
    }
}
