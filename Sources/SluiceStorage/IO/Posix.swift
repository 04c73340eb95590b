#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Thin wrappers over the POSIX calls storage needs, turning failures into ``StorageError``.
///
/// Every call that can be interrupted is retried on EINTR; nothing here buffers.
enum Posix {
    static var errno: Int32 {
        #if canImport(Glibc) || canImport(Musl)
        return Glibc.errno
        #else
        return Darwin.errno
        #endif
    }

    /// Opens `path` for reading and writing, creating it when `create`.
    ///
    /// On Linux the file is opened with `O_NOATIME` where allowed (the broker owns its files):
    /// every pread and sendfile of a file opened without it works out whether to update the
    /// access time, which is about 5% of the cost of sending a 1 KiB batch, and nothing reads the
    /// access times of segment files. Duplicated descriptors share the flag.
    static func open(_ path: String, create: Bool) throws -> Int32 {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        var extra = noAccessTime
        while true {
            let fd = path.withCString { systemOpen($0, flags | extra, 0o644) }
            if fd >= 0 { return fd }
            let e = errno
            if e == EPERM && extra != 0 {
                // Not the file's owner (O_NOATIME needs it): open it the ordinary way.
                extra = 0
                continue
            }
            if e != EINTR { throw StorageError.io("open", path: path, errno: e) }
        }
    }

    #if os(Linux) && (arch(x86_64) || arch(arm64))
    /// Linux's `O_NOATIME` on these architectures (glibc only declares it under `_GNU_SOURCE`,
    /// which Swift's Glibc module does not set).
    private static let noAccessTime: Int32 = 0o1000000
    #else
    private static let noAccessTime: Int32 = 0
    #endif

    /// Opens `path` read-only (for tools and readers that must not modify the file).
    static func openReadOnly(_ path: String) throws -> Int32 {
        while true {
            let fd = path.withCString { systemOpen($0, O_RDONLY | O_CLOEXEC, 0) }
            if fd >= 0 { return fd }
            let e = errno
            if e != EINTR { throw StorageError.io("open", path: path, errno: e) }
        }
    }

    private static func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
        #if canImport(Glibc) || canImport(Musl)
        return Glibc.open(path, flags, mode)
        #else
        return Darwin.open(path, flags, mode)
        #endif
    }

    static func close(_ fd: Int32) {
        #if canImport(Glibc) || canImport(Musl)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// fsyncs a directory so that entries created, renamed or removed in it are durable.
    static func fsyncDirectory(_ path: String) throws {
        let fd = path.withCString { systemOpen($0, O_RDONLY | O_CLOEXEC | O_DIRECTORY, 0) }
        if fd < 0 { throw StorageError.io("open directory", path: path, errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw StorageError.io("fsync directory", path: path, errno: errno) }
    }

    static func rename(_ from: String, _ to: String) throws {
        let rc = from.withCString { f in to.withCString { t in systemRename(f, t) } }
        if rc != 0 { throw StorageError.io("rename to \(to)", path: from, errno: errno) }
    }

    private static func systemRename(_ from: UnsafePointer<CChar>, _ to: UnsafePointer<CChar>) -> Int32 {
        #if canImport(Glibc) || canImport(Musl)
        return Glibc.rename(from, to)
        #else
        return Darwin.rename(from, to)
        #endif
    }

    /// Removes a file; a file already gone is not an error.
    static func unlinkIfPresent(_ path: String) throws {
        if unlink(path) != 0 {
            let e = errno
            if e != ENOENT { throw StorageError.io("unlink", path: path, errno: e) }
        }
    }

    static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func fileSize(_ path: String) throws -> Int {
        var st = stat()
        if stat(path, &st) != 0 { throw StorageError.io("stat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    /// Creates a directory (and its parents) when missing.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw StorageError.io("mkdir", path: path, errno: EIO)
        }
    }

    /// The names in a directory (not paths), sorted.
    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw StorageError.io("opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Removes a directory and everything in it.
    static func removeTree(_ path: String) throws {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            if Posix.fileExists(path) { throw StorageError.io("remove directory", path: path, errno: EIO) }
        }
    }

    /// Milliseconds since the Unix epoch, the clock Kafka's timestamps use.
    static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// A monotonic clock in nanoseconds, for intervals.
    static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
