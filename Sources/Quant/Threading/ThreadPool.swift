// A persistent pool of worker threads for the int8 products: threads are made once, park between calls, and the
// calling thread works too, so a decode step pays no thread creation.
import CKernels
import Foundation
import Synchronization

/// `threadCount − 1` workers plus the caller. `parallelFor` hands out task indices from a shared counter, so a slow
/// (descheduled) thread only delays the tasks it took.
///
/// Waking: a decode step makes ~200 calls, each a few tens of microseconds, so a worker first polls (with `pause`)
/// for a short while and only then parks on a condition variable; a condition-variable wake-up alone would cost
/// about as much as a small product. Idle pools therefore cost no CPU once the polling window has passed.
public final class ThreadPool: @unchecked Sendable {
    // @unchecked Sendable: `job` and `taskCount` are written only by the caller before it publishes a new
    // `generation` (release) and read by workers after observing it (acquire); the caller clears them only after
    // every worker has reported back through `finishedWorkers`. Calls are serialized by `callerLock`.
    public let threadCount: Int

    public static let threadsEnvironmentVariable = "MERGEGUARD_THREADS"

    /// Active processor count, or MERGEGUARD_THREADS when it is a positive integer.
    public static var defaultThreadCount: Int {
        if let text = ProcessInfo.processInfo.environment[threadsEnvironmentVariable], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    public static let shared = ThreadPool(threadCount: defaultThreadCount)

    /// Polls before parking; ~4096 `pause`s is tens of microseconds, longer than the gaps between a decode step's products.
    static let pollIterations = 4096

    private let generation = Atomic<Int>(0)
    private let nextTask = Atomic<Int>(0)
    private let finishedWorkers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int) -> Void)?
    private var taskCount = 0
    private let parkLock: UnsafeMutablePointer<pthread_mutex_t>
    private let parkSignal: UnsafeMutablePointer<pthread_cond_t>
    private let callerLock: UnsafeMutablePointer<pthread_mutex_t>

    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        parkLock = .allocate(capacity: 1)
        parkSignal = .allocate(capacity: 1)
        callerLock = .allocate(capacity: 1)
        pthread_mutex_init(parkLock, nil)
        pthread_cond_init(parkSignal, nil)
        pthread_mutex_init(callerLock, nil)
        for index in 1..<self.threadCount {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "mergeguard-pool-\(index)"
            thread.start()
        }
    }

    /// Stops the workers; they hold `self` until they exit, so this runs only after `shutdown()` (tests' pools) or never
    /// (the shared pool lives as long as the process).
    public func shutdown() {
        pthread_mutex_lock(parkLock)
        stopping.store(true, ordering: .releasing)
        generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(parkSignal)
        pthread_mutex_unlock(parkLock)
    }

    /// Runs body(0..<tasks) across the pool and returns when all are done. `body` may run on any pool thread,
    /// concurrently with itself, and must not call `parallelFor` on the same pool.
    public func parallelFor(tasks: Int, _ body: (Int) -> Void) {
        if tasks <= 0 { return }
        if threadCount == 1 || tasks == 1 {
            for t in 0..<tasks { body(t) }
            return
        }
        pthread_mutex_lock(callerLock)
        defer { pthread_mutex_unlock(callerLock) }
        withoutActuallyEscaping(body) { body in
            job = body
            taskCount = tasks
            nextTask.store(0, ordering: .relaxed)
            finishedWorkers.store(0, ordering: .relaxed)
            // Publish under the park lock so a worker between its check and its wait cannot miss the signal.
            pthread_mutex_lock(parkLock)
            generation.add(1, ordering: .releasing)
            pthread_cond_broadcast(parkSignal)
            pthread_mutex_unlock(parkLock)

            runTasks(body, count: tasks)
            var spins = 0
            while finishedWorkers.load(ordering: .acquiring) < threadCount - 1 {
                spins += 1
                if spins < Self.pollIterations { mg_cpu_relax() } else { sched_yield() }
            }
            job = nil
        }
    }

    private func runTasks(_ body: (Int) -> Void, count: Int) {
        while true {
            let t = nextTask.wrappingAdd(1, ordering: .relaxed).oldValue
            if t >= count { return }
            body(t)
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                if spins < Self.pollIterations {
                    spins += 1
                    mg_cpu_relax()
                    continue
                }
                pthread_mutex_lock(parkLock)
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(parkSignal, parkLock) }
                pthread_mutex_unlock(parkLock)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            workOnCurrentJob()
            // Reported only after workOnCurrentJob returned, so this thread no longer holds the caller's closure.
            finishedWorkers.add(1, ordering: .releasing)
        }
    }

    @inline(never)
    private func workOnCurrentJob() {
        guard let body = job else { return }
        runTasks(body, count: taskCount)
    }
}
