import SluiceBase

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The disk store's file calls: SluiceBase's ``Posix`` (explicit fsync of files and
/// directories, atomic rename, ftruncate), failing with ``RaftStoreError`` `.io`. Outside the
/// pure core.
enum PosixFile {
    /// Opens (creating if asked) and returns a file descriptor.
    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(RaftStoreError) -> Int32 {
        try raft { () throws(PosixError) in try Posix.open(path, flags: flags, mode: mode) }
    }

    static func closeFile(_ fd: Int32) {
        Posix.close(fd)
    }

    /// Writes every byte (looping over short writes and EINTR).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(RaftStoreError) {
        try raft { () throws(PosixError) in try Posix.writeAll(fd, bytes, path: path) }
    }

    static func sync(_ fd: Int32, path: String) throws(RaftStoreError) {
        try raft { () throws(PosixError) in try Posix.fsync(fd, path: path) }
    }

    /// Makes a directory's entries (creations, renames, deletions) durable.
    static func syncDirectory(_ path: String) throws(RaftStoreError) {
        try raft { () throws(PosixError) in try Posix.fsyncDirectory(path) }
    }

    static func truncateFile(_ fd: Int32, to size: Int64, path: String) throws(RaftStoreError) {
        try raft { () throws(PosixError) in try Posix.truncate(fd, to: size, path: path) }
    }

    /// Deletes a file; a missing file is not an error.
    static func removeFile(_ path: String) throws(RaftStoreError) {
        try raft { () throws(PosixError) in try Posix.unlinkIfPresent(path) }
    }

    /// The whole file, or nil if it does not exist.
    static func readAll(_ path: String) throws(RaftStoreError) -> [UInt8]? {
        try raft { () throws(PosixError) in try Posix.readAll(path) }
    }

    /// Writes a file atomically: a temporary file, fsynced, renamed over the target, and the
    /// directory fsynced. A crash leaves either the old or the new content, never a mix.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(RaftStoreError) {
        try raft { () throws(PosixError) in try Posix.writeAtomically(bytes, to: path, directory: directory) }
    }

    static func makeDirectory(_ path: String) throws(RaftStoreError) {
        try raft { () throws(PosixError) in try Posix.makeDirectory(path) }
    }

    /// The names in a directory, sorted.
    static func list(_ path: String) throws(RaftStoreError) -> [String] {
        try raft { () throws(PosixError) in try Posix.listDirectory(path) }
    }

    private static func raft<T>(_ call: () throws(PosixError) -> T) throws(RaftStoreError) -> T {
        do {
            return try call()
        } catch {
            throw RaftStoreError(.io, error.description)
        }
    }
}
