#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the POSIX file-system calls that storage and Raft's disk store need,
/// turning failures into ``PosixError``. Every call that can be interrupted is retried on EINTR;
/// nothing here buffers, and nothing syncs unless asked to: durability is the caller's protocol.
///
/// ```swift
/// try Posix.writeAtomically(bytes, to: dir + "/quorum-state", directory: dir)
/// let names = try Posix.listDirectory(dir)   // sorted, without "." and ".."
/// ```
public enum Posix {
    /// The calling thread's `errno`.
    public static var errno: Int32 {
        #if canImport(Glibc)
        return Glibc.errno
        #elseif canImport(Musl)
        return Musl.errno
        #else
        return Darwin.errno
        #endif
    }

    // MARK: Descriptors

    /// Opens `path` for reading and writing, creating it when `create`.
    ///
    /// On Linux the file is opened with `O_NOATIME` where allowed (the broker owns its files):
    /// every pread and sendfile of a file opened without it works out whether to update the
    /// access time, which is about 5% of the cost of sending a 1 KiB batch, and nothing reads the
    /// access times of segment files. Duplicated descriptors share the flag.
    public static func open(_ path: String, create: Bool) throws(PosixError) -> Int32 {
        do throws(PosixError) {
            return try open(path, flags: O_RDWR | (create ? O_CREAT : 0) | noAccessTime)
        } catch where error.errno == EPERM && noAccessTime != 0 {
            // Not the file's owner (O_NOATIME needs it): open it the ordinary way.
            return try open(path, flags: O_RDWR | (create ? O_CREAT : 0))
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
    public static func openReadOnly(_ path: String) throws(PosixError) -> Int32 {
        try open(path, flags: O_RDONLY)
    }

    /// `open(2)` with `flags` (`O_CLOEXEC` is always added), retried on EINTR.
    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(PosixError) -> Int32 {
        while true {
            let fd = path.withCString { systemOpen($0, flags | O_CLOEXEC, mode) }
            if fd >= 0 { return fd }
            let e = errno
            if e != EINTR { throw PosixError("open", path: path, errno: e) }
        }
    }

    private static func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
        #if canImport(Glibc)
        return Glibc.open(path, flags, mode)
        #elseif canImport(Musl)
        return Musl.open(path, flags, mode)
        #else
        return Darwin.open(path, flags, mode)
        #endif
    }

    public static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #elseif canImport(Musl)
        _ = Musl.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Writes every byte at the file's current position (looping over short writes and EINTR).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(PosixError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw PosixError("write", path: path, errno: e)
            }
            written += n
        }
    }

    public static func fsync(_ fd: Int32, path: String) throws(PosixError) {
        #if canImport(Glibc)
        let rc = Glibc.fsync(fd)
        #elseif canImport(Musl)
        let rc = Musl.fsync(fd)
        #else
        let rc = Darwin.fsync(fd)
        #endif
        if rc != 0 { throw PosixError("fsync", path: path, errno: errno) }
    }

    public static func truncate(_ fd: Int32, to size: Int64, path: String) throws(PosixError) {
        while ftruncate(fd, off_t(size)) != 0 {
            let e = errno
            if e != EINTR { throw PosixError("truncate", path: path, errno: e) }
        }
    }

    // MARK: Whole files

    /// The whole file, or nil when it does not exist.
    public static func readAll(_ path: String) throws(PosixError) -> [UInt8]? {
        let fd: Int32
        do throws(PosixError) {
            fd = try openReadOnly(path)
        } catch where error.errno == ENOENT {
            return nil
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw PosixError("read", path: path, errno: e)
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Replaces a file at once: `<path>.tmp` written and fsynced, renamed over `path`, and
    /// `directory` fsynced. A crash leaves either the old or the new content, never a mix.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(PosixError) {
        let temporary = path + ".tmp"
        let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(PosixError) {
            try writeAll(fd, bytes, path: temporary)
            try fsync(fd, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        try rename(temporary, path)
        try fsyncDirectory(directory)
    }

    // MARK: Directory entries

    /// fsyncs a directory so that entries created, renamed or removed in it are durable.
    public static func fsyncDirectory(_ path: String) throws(PosixError) {
        let fd: Int32
        do throws(PosixError) {
            fd = try open(path, flags: O_RDONLY | O_DIRECTORY, mode: 0)
        } catch {
            throw PosixError("open directory", path: path, errno: error.errno)
        }
        defer { close(fd) }
        do throws(PosixError) {
            try fsync(fd, path: path)
        } catch {
            throw PosixError("fsync directory", path: path, errno: error.errno)
        }
    }

    public static func rename(_ from: String, _ to: String) throws(PosixError) {
        let rc = from.withCString { f in to.withCString { t in systemRename(f, t) } }
        if rc != 0 { throw PosixError("rename to \(to)", path: from, errno: errno) }
    }

    private static func systemRename(_ from: UnsafePointer<CChar>, _ to: UnsafePointer<CChar>) -> Int32 {
        #if canImport(Glibc)
        return Glibc.rename(from, to)
        #elseif canImport(Musl)
        return Musl.rename(from, to)
        #else
        return Darwin.rename(from, to)
        #endif
    }

    /// Removes a file; a file already gone is not an error.
    public static func unlinkIfPresent(_ path: String) throws(PosixError) {
        if unlink(path) != 0 {
            let e = errno
            if e != ENOENT { throw PosixError("unlink", path: path, errno: e) }
        }
    }

    public static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func fileSize(_ path: String) throws(PosixError) -> Int {
        var st = stat()
        if stat(path, &st) != 0 { throw PosixError("stat", path: path, errno: errno) }
        return Int(st.st_size)
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates a directory and its missing parents (`mkdir -p`); an existing directory is fine.
    public static func makeDirectory(_ path: String) throws(PosixError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let e = errno
                if e != EEXIST || !isDirectory(prefix) { throw PosixError("mkdir", path: prefix, errno: e) }
            }
            prefix += "/"
        }
    }

    /// The names in a directory (not paths), sorted, without `.` and `..`.
    public static func listDirectory(_ path: String) throws(PosixError) -> [String] {
        guard let dir = opendir(path) else { throw PosixError("opendir", path: path, errno: errno) }
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

    /// Removes a file or a directory and everything in it (symbolic links are removed, not
    /// followed); a path already gone is not an error.
    public static func removeTree(_ path: String) throws(PosixError) {
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = errno
            if e == ENOENT { return }
            throw PosixError("lstat", path: path, errno: e)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return try unlinkIfPresent(path) }
        for name in try listDirectory(path) { try removeTree(path + "/" + name) }
        if rmdir(path) != 0 {
            let e = errno
            if e != ENOENT { throw PosixError("rmdir", path: path, errno: e) }
        }
    }

    // MARK: Clocks

    /// Milliseconds since the Unix epoch, the clock Kafka's timestamps use.
    public static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// A monotonic clock in nanoseconds, for intervals.
    public static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
