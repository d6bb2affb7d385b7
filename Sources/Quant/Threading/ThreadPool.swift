// A persistent pool of worker threads for the int8 products: threads are made once, park between calls, and the
// calling thread works too, so a decode step pays no thread creation.
import CKernels
import Foundation
import Synchronization

/// `threadCount − 1` workers plus the caller. `parallelFor` hands out task indices from a shared counter and waits
/// only for the tasks, and for workers that actually joined the call: on a shared machine a descheduled worker
/// costs nothing unless it holds a task, and the caller simply does the work itself.
///
/// Waking: a decode step makes ~200 calls, each a few tens of microseconds, so a worker first polls (with `pause`)
/// for a short while and only then parks on a condition variable; a condition-variable wake-up alone would cost
/// about as much as a small product. Idle pools therefore cost no CPU once the polling window has passed.
public final class ThreadPool: @unchecked Sendable {
    // @unchecked Sendable: `job`, `jobContext` and `taskCount` are written only by the caller while no worker is inside a call
    // (`inside` is 0) and before `open` is set; a worker reads them only after raising `inside` and then seeing
    // `open` (sequentially consistent, so either the worker sees the call closed or the caller sees the worker
    // inside and waits for it). Calls are serialized by `callerLock`.
    public let threadCount: Int

    public static let threadsEnvironmentVariable = "MERGEGUARD_THREADS"

    /// MERGEGUARD_THREADS when it is a positive integer, else the active processor count.
    public static func defaultThreadCount(environment: [String: String], processors: Int) -> Int {
        let text = environment[threadsEnvironmentVariable]?.trimmingCharacters(in: .whitespaces)
        if let text, let n = Int(text), n > 0 { return n }
        return max(1, processors)
    }

    public static let shared = ThreadPool(threadCount: defaultThreadCount(
        environment: ProcessInfo.processInfo.environment, processors: ProcessInfo.processInfo.activeProcessorCount))

    /// Polls before parking; ~4096 `pause`s is tens of microseconds, longer than the gaps between a decode step's products.
    static let pollIterations = 4096

    private let generation = Atomic<Int>(0)
    private let open = Atomic<Bool>(false)
    private let inside = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let nextTask = Atomic<Int>(0)
    private let doneTasks = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: Task?
    private var jobContext: UnsafeRawPointer?
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

    deinit {
        pthread_mutex_destroy(parkLock)
        pthread_cond_destroy(parkSignal)
        pthread_mutex_destroy(callerLock)
        parkLock.deallocate()
        parkSignal.deallocate()
        callerLock.deallocate()
    }

    /// Stops the workers; they hold `self` until they exit, so a pool is freed only after `shutdown()` (tests' pools)
    /// or never (the shared pool lives as long as the process).
    public func shutdown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        wakeWorkers()
    }

    /// One task of a call: `context` is the caller's, `index` in 0..<tasks. A plain C function pointer, not a
    /// closure, so handing it to other threads allocates nothing (a closure stored for the workers was measured
    /// to cost one heap allocation per call, ~200 per decoded token).
    public typealias Task = @convention(c) (_ context: UnsafeRawPointer, _ index: Int) -> Void

    /// Runs task(context, 0..<tasks) across the pool and returns when all are done; allocation-free, for hot paths.
    /// `task` may run on any pool thread, concurrently with itself, and must not call `parallelFor` on this pool.
    public func parallelFor(tasks: Int, context: UnsafeRawPointer, _ task: Task) {
        if tasks <= 0 { return }
        if threadCount == 1 || tasks == 1 {
            for t in 0..<tasks { task(context, t) }
            return
        }
        pthread_mutex_lock(callerLock)
        defer { pthread_mutex_unlock(callerLock) }
        job = task
        jobContext = context
        taskCount = tasks
        nextTask.store(0, ordering: .relaxed)
        doneTasks.store(0, ordering: .relaxed)
        open.store(true, ordering: .sequentiallyConsistent)
        wakeWorkers()

        doneTasks.add(runTasks(task, context: context, count: tasks), ordering: .relaxed)
        var spins = 0
        while doneTasks.load(ordering: .acquiring) < tasks { pause(&spins) }
        // Close the call, then wait for workers that joined it to let go of the caller's context.
        open.store(false, ordering: .sequentiallyConsistent)
        while inside.load(ordering: .sequentiallyConsistent) > 0 { pause(&spins) }
        job = nil
        jobContext = nil
    }

    /// Closure form for code off the hot path (it may allocate): runs body(0..<tasks) like the form above.
    public func parallelFor(tasks: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                parallelFor(tasks: tasks, context: UnsafeRawPointer(pointer)) { context, index in
                    context.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
                }
            }
        }
    }

    private func wakeWorkers() {
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(parkLock)
            pthread_cond_broadcast(parkSignal)
            pthread_mutex_unlock(parkLock)
        }
    }

    /// Busy-waits briefly, then yields the core: on an oversubscribed machine the thread we wait for may need it.
    private func pause(_ spins: inout Int) {
        spins += 1
        if spins < Self.pollIterations { mg_cpu_relax() } else { sched_yield() }
    }

    /// Takes task indices until none are left; returns how many it ran.
    private func runTasks(_ task: Task, context: UnsafeRawPointer, count: Int) -> Int {
        var ran = 0
        while true {
            let t = nextTask.wrappingAdd(1, ordering: .relaxed).oldValue
            if t >= count { return ran }
            task(context, t)
            ran += 1
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen {
                if spins < Self.pollIterations {
                    spins += 1
                    mg_cpu_relax()
                    continue
                }
                pthread_mutex_lock(parkLock)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(parkSignal, parkLock) }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(parkLock)
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            inside.add(1, ordering: .sequentiallyConsistent)
            if open.load(ordering: .sequentiallyConsistent) { workOnCurrentJob() }
            // Lowered only after workOnCurrentJob returned, so this thread no longer uses the caller's context.
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    private func workOnCurrentJob() {
        guard let task = job, let context = jobContext else { return }
        doneTasks.add(runTasks(task, context: context, count: taskCount), ordering: .releasing)
    }
}
