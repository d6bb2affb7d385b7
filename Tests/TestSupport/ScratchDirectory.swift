// Scratch folders for tests, removed when the test process exits: a full run makes about 150 of them, and leaving
// them behind filled /tmp over a day of runs.
import Foundation
import Synchronization

public enum ScratchDirectory {
    private static let created = Mutex<[URL]>([])
    // Registered once, on the first folder made; runs at the test process's normal exit.
    private static let removalAtExit: Void = { atexit { ScratchDirectory.removeAll() } }()

    /// A new empty folder under the system's temporary directory, named `prefix-<UUID>`.
    public static func make(prefix: String) throws -> URL {
        _ = removalAtExit
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        created.withLock { $0.append(dir) }
        return dir
    }

    static func removeAll() {
        for dir in created.withLock({ $0 }) { try? FileManager.default.removeItem(at: dir) }
    }
}
