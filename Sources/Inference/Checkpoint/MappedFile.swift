// A read-only memory map of a whole file; checkpoint readers hand out views into it without copying.
import Foundation

public enum MappedFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(file: String, reason: String)
    case isDirectory(file: String)
    case cannotRead(file: String, offset: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let f, let r): return "cannot open \(f): \(r)"
        case .isDirectory(let f): return "\(f) is a directory, expected a file"
        case .cannotRead(let f, let offset, let r): return "cannot read \(f) at byte \(offset): \(r)"
        }
    }
}

/// The mapping lives as long as this object; views must not outlive it.
public final class MappedFile: @unchecked Sendable {
    // @unchecked Sendable: the mapping is PROT_READ and never remapped, so concurrent reads are safe.
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws(MappedFileError) {
        self.path = path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw .isDirectory(file: path)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw .cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            self.fd = fd
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            close(fd)
            throw .cannotOpen(file: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        self.fd = fd
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        close(fd)
    }

    /// Kept open for `read(into:at:)`.
    private let fd: Int32

    /// Copies `destination.count` bytes from file offset `offset` with pread: for data read once, a copy straight
    /// from the page cache costs less than faulting the mapping in and releasing it again (a tenth of a merge went to
    /// those page faults and madvise calls). Throws on a read error or a short read (the file shrank).
    public func read(into destination: UnsafeMutableRawBufferPointer, at offset: Int) throws(MappedFileError) {
        var done = 0
        while done < destination.count {
            let n = pread(fd, destination.baseAddress! + done, destination.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw .cannotRead(file: path, offset: offset + done, reason: n < 0 ? String(cString: strerror(errno))
                                  : "the file ends there (it was truncated while open)")
            }
            done += n
        }
    }

    public var count: Int { bytes.count }

    /// Lets the kernel drop the pages of `region` (a view into this file) from memory: a tensor copied out is not
    /// read again, and its pages would otherwise count in the process's RSS until the file is unmapped. The mapping
    /// is private and read-only, so a later read simply faults the same bytes back in. Only whole pages strictly
    /// inside the region are released, so neighbouring tensors keep theirs.
    public func release(_ region: UnsafeRawBufferPointer) {
        guard let start = region.baseAddress, region.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + region.count) / page * page
        guard end > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        madvise(pointer, end - first, Int32(MADV_DONTNEED))
    }
}
