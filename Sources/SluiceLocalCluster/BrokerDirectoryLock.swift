import Foundation

/// The lock a running broker holds on its data directory: `<data-dir>/.lock`, locked with
/// `flock(LOCK_EX)` for the broker's whole life and holding its pid (one line of text).
///
/// The broker takes it at start-up (two brokers never share a directory) and the kernel drops it
/// when the process exits, however it exits. Tools that stop brokers (`sluice cluster down`) ask
/// ``holder(of:)`` who runs a directory instead of trusting a pid they saved earlier: a broker may
/// have been restarted by hand or by the console since, and a saved pid may belong to another
/// process by now. A pid counts only when the lock is held and that process has the lock file
/// open, so a stale pid is never signalled.
public final class BrokerDirectoryLock: Sendable {
    private let fd: Int32
    public let path: String

    /// The lock file of a data directory.
    public static func path(dataDirectory: String) -> String { dataDirectory + "/.lock" }

    /// Takes the lock (creating the directory) and writes this process's pid into the file;
    /// throws when another process holds it.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = Self.path(dataDirectory: directory)
        // O_CLOEXEC: a child process must not inherit (and so keep) the lock.
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LocalClusterError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            let holder = Self.holder(of: directory).map { " (pid \($0))" } ?? ""
            throw LocalClusterError("the data directory \(directory) is in use by another broker\(holder)")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Releases the lock (the process's exit does too).
    public func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// The pid of the live process that holds `dataDirectory`'s lock, or nil when no process does.
    /// Read from the lock file — or, for a broker of an older version that locked without writing
    /// its pid, taken from `candidates` (pids saved elsewhere) — and believed only when the lock is
    /// held and that process has the file open (checked in /proc where there is one).
    public static func holder(of dataDirectory: String, candidates: [Int32] = []) -> Int32? {
        let path = path(dataDirectory: dataDirectory)
        guard isLocked(path) else { return nil }
        for pid in [recordedPid(path)].compactMap({ $0 }) + candidates where pid > 0 && kill(pid, 0) == 0 {
            if hasOpen(pid: pid, path: path) { return pid }
        }
        return nil
    }

    /// Whether some process holds the lock: a non-blocking shared lock of our own is refused.
    static func isLocked(_ path: String) -> Bool {
        let probe = open(path, O_RDONLY | O_CLOEXEC)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        if flock(probe, LOCK_SH | LOCK_NB) == 0 {
            flock(probe, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    static func recordedPid(_ path: String) -> Int32? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether process `pid` has the file at `path` open (same device and inode). Without /proc
    /// (not Linux) the held lock and the recorded pid are all there is to go on.
    static func hasOpen(pid: Int32, path: String) -> Bool {
        var target = stat()
        guard stat(path, &target) == 0 else { return false }
        let fdDirectory = "/proc/\(pid)/fd"
        guard FileManager.default.fileExists(atPath: "/proc/self/fd") else { return true }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else { return false }
        for entry in entries {
            var info = stat()
            if stat(fdDirectory + "/" + entry, &info) == 0, info.st_dev == target.st_dev, info.st_ino == target.st_ino {
                return true
            }
        }
        return false
    }
}
