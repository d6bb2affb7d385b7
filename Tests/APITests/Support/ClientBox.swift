// Carries an open test client from one `blocking` call to the next.

/// @unchecked Sendable: the client is used by one thread at a time, each `blocking` call
/// finishing before the next starts, so its buffer is never touched concurrently.
final class ClientBox: @unchecked Sendable {
    let client: RawHTTPClient
    init(_ client: RawHTTPClient) { self.client = client }
}
