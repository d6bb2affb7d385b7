// An export appears whole or not at all: it is written under a hidden sibling name (fsync'd when durable), then renamed
// into place.
import Foundation

/// `mergeguard merge` can be killed at any moment. Everything is written to `.<name>.partial-<pid>` next to the
/// target; `commit` renames it over the target, so after a killed process the target path only ever holds a
/// complete export (the old one or the new one). A `durable` export is also fsync'd before the rename (and the
/// folder after it), so the same holds after a power cut; the others are left to the kernel's writeback like any
/// tool's output (mergekit, `cp`, transformers' save_pretrained). Leftovers of processes that no longer exist are
/// deleted when the next export to the same target begins.
struct StagedOutput {
    enum Kind { case folder, file }

    let target: String
    /// Where the export is written until `commit`.
    let staging: String
    let kind: Kind
    let durable: Bool

    private static let partialMarker = ".partial-"
    private static let replacedMarker = ".replaced-"

    init(target: String, kind: Kind, durable: Bool) throws {
        let url = URL(fileURLWithPath: target).standardizedFileURL
        self.target = url.path
        self.kind = kind
        self.durable = durable
        let parent = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw MergeWriteError.cannotWrite(file: parent, reason: error.localizedDescription)
        }
        Self.removeStale(in: parent, name: name)
        staging = (parent as NSString).appendingPathComponent(".\(name)\(Self.partialMarker)\(getpid())")
        try? FileManager.default.removeItem(atPath: staging)
        if kind == .folder {
            do {
                try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
            } catch {
                throw MergeWriteError.cannotWrite(file: staging, reason: error.localizedDescription)
            }
        }
    }

    /// A path inside the staging folder.
    func stagedPath(_ file: String) -> String { (staging as NSString).appendingPathComponent(file) }

    /// The path a staged file will have once committed.
    func finalPath(_ file: String) -> String { kind == .folder ? (target as NSString).appendingPathComponent(file) : target }

    /// Writes `data` into the staging folder (and, when durable, starts its disk writes; `commit` syncs it).
    func write(_ data: Data, as file: String) throws {
        try Self.write(data, to: stagedPath(file), startWriteback: durable)
    }

    /// Renames the staged export over the target, after syncing it (every file in a staged folder, then the folder)
    /// when durable. A folder target that already exists is moved aside first (a directory cannot be renamed over a
    /// non-empty one) and deleted after.
    func commit() throws {
        if durable {
            if kind == .folder {
                // Files written with `write` have been on their way to the disk since; the weights are synced already.
                for file in try FileManager.default.contentsOfDirectory(atPath: staging).sorted() {
                    try Self.sync(stagedPath(file))
                }
            }
            try Self.sync(staging)
        }
        let parent = (target as NSString).deletingLastPathComponent
        var replaced: String?
        if kind == .folder, FileManager.default.fileExists(atPath: target) {
            let aside = (parent as NSString).appendingPathComponent(
                ".\((target as NSString).lastPathComponent)\(Self.replacedMarker)\(getpid())")
            try? FileManager.default.removeItem(atPath: aside)
            guard rename(target, aside) == 0 else { throw Self.posixError(target) }
            replaced = aside
        }
        guard rename(staging, target) == 0 else { throw Self.posixError(target) }
        if durable { try? Self.sync(parent) }
        if let replaced { try? FileManager.default.removeItem(atPath: replaced) }
    }

    /// Deletes the staging path (after a failure).
    func abandon() { try? FileManager.default.removeItem(atPath: staging) }

    /// `.<name>.partial-<pid>` and `.<name>.replaced-<pid>` left by processes that are gone.
    static func removeStale(in parent: String, name: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
            for marker in [partialMarker, replacedMarker] {
                let prefix = ".\(name)\(marker)"
                guard entry.hasPrefix(prefix), let pid = Int32(entry.dropFirst(prefix.count)) else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH {
                    try? FileManager.default.removeItem(atPath: (parent as NSString).appendingPathComponent(entry))
                }
            }
        }
    }

    /// Writes a file and, with `startWriteback`, starts (without waiting for) its disk writes, so a later fsync
    /// finds them done or under way.
    static func write(_ data: Data, to path: String, startWriteback: Bool) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posixError(path) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw posixError(path)
                }
                offset += n
            }
        }
        if startWriteback {
            _ = SafetensorsStreamWriter.syncFileRange?(fd, 0, Int64(data.count), SafetensorsStreamWriter.syncFileRangeWrite)
        }
    }

    /// fsync of a file or a folder (a folder's sync makes the names in it durable).
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError(path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw posixError(path) }
    }

    private static func posixError(_ path: String) -> MergeWriteError {
        .cannotWrite(file: path, reason: String(cString: strerror(errno)))
    }
}
