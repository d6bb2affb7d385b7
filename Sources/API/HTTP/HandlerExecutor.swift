// Threads of the server's own on which handlers and stream producers run (as a task-executor preference), so
// a process whose other work keeps Swift's cooperative pool busy — CPU-bound inference, tests running alongside —
// cannot starve the HTTP side. The cooperative pool is only as wide as the CPU count (2 here).
import Foundation

final class HandlerExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `jobs` is only touched with `condition` held; the threads live as long as the process.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(threads: Int, name: String) {
        for i in 0..<threads {
            let thread = Thread { [self] in run() }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// One pool for every server in the process: handlers mostly await, so a few threads carry many requests.
    static let shared = HandlerExecutor(threads: 8, name: "mergeguard-http")
}
