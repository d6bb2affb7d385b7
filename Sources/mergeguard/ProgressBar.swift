// A one-line progress bar on the terminal (stderr), redrawn in place; silent when stderr is not a terminal.
import Foundation
import Synchronization

final class ProgressBar: Sendable {
    let label: String
    let interactive = isatty(STDERR_FILENO) != 0
    private let last = Mutex(-1)

    init(label: String) { self.label = label }

    func update(_ done: Int, of total: Int) {
        guard interactive, total > 0 else { return }
        let percent = done * 100 / total
        guard last.withLock({ old in defer { old = percent }; return old != percent }) else { return }
        let width = 30
        let filled = done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
