// Per-thread float scratch for work split across the pool, where a task cannot know which thread runs it.
import Foundation

/// Float scratch owned by the calling thread (attention scores of the head a pool task is working on); grows only
/// when a call needs more than it has, at least doubling: decode asks for one position more every token, and
/// growing to the exact size would reallocate on every token of a sequence longer than any before it.
public final class ThreadScratch {
    private var storage = AlignedBuffer<Float>(count: 0)

    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if storage.count < count { storage = AlignedBuffer(count: max(count, 2 * storage.count, 1024)) }
        return storage.pointer
    }

    public static var forCurrentThread: ThreadScratch {
        if let raw = pthread_getspecific(threadKey) {
            return Unmanaged<ThreadScratch>.fromOpaque(raw).takeUnretainedValue()
        }
        let scratch = ThreadScratch()
        pthread_setspecific(threadKey, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        // The destructor releases the thread's scratch when the thread exits.
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<ThreadScratch>.fromOpaque(raw).release() }
        }
        return key
    }()
}
