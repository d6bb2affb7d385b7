// One Server-Sent Event in the text/event-stream wire format (WHATWG HTML, "Server-sent events").
import Foundation

public struct ServerSentEvent: Sendable, Equatable {
    public var data: String
    public var event: String?
    public var id: String?

    public init(data: String, event: String? = nil, id: String? = nil) {
        self.data = data
        self.event = event
        self.id = id
    }

    /// Field lines then a blank line; multi-line data becomes several `data:` lines, which the
    /// client joins back with "\n".
    public var encoded: Data {
        var text = ""
        if let event { text += "event: \(ServerSentEvent.singleLine(event))\n" }
        if let id { text += "id: \(ServerSentEvent.singleLine(id))\n" }
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: ServerSentEvent.isLineEnd) {
            text += "data: \(line)\n"
        }
        text += "\n"
        return Data(text.utf8)
    }

    // The three SSE line ends; "\r\n" is a single Character in Swift. Not `isNewline`, which
    // would also split U+2028 and alter the data.
    static func isLineEnd(_ character: Character) -> Bool {
        character == "\n" || character == "\r" || character == "\r\n"
    }

    // A newline inside `event` or `id` would start a new field; the spec gives no escape, so drop it.
    private static func singleLine(_ value: String) -> String {
        value.filter { !isLineEnd($0) }
    }
}

extension ResponseStream {
    /// Sends one event; false once the client has gone.
    @discardableResult
    public func send(_ event: ServerSentEvent) -> Bool {
        send(event.encoded)
    }
}
