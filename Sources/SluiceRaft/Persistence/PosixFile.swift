// Thin, throwing wrappers over the POSIX calls the disk store needs: explicit fsync of files
// and directories, atomic rename, ftruncate. Outside the pure core.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum PosixFile {
    static func fail(_ what: String, _ path: String) -> RaftStoreError {
        let code = errno
        return RaftStoreError(.io, "\(what) \(path): \(String(cString: strerror(code))) (errno \(code))")
    }

    /// Opens (creating if asked) and returns a file descriptor.
    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(RaftStoreError) -> Int32 {
        let fd = path.withCString { open($0, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw fail("cannot open", path) }
        return fd
    }

    static func closeFile(_ fd: Int32) {
        _ = close(fd)
    }

    /// Writes every byte (looping over short writes and EINTR).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(RaftStoreError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot write", path)
            }
            written += n
        }
    }

    static func sync(_ fd: Int32, path: String) throws(RaftStoreError) {
        guard fsync(fd) == 0 else { throw fail("cannot fsync", path) }
    }

    /// Makes a directory's entries (creations, renames, deletions) durable.
    static func syncDirectory(_ path: String) throws(RaftStoreError) {
        let fd = try openFile(path, flags: O_RDONLY | O_DIRECTORY)
        defer { closeFile(fd) }
        try sync(fd, path: path)
    }

    static func truncateFile(_ fd: Int32, to size: Int64, path: String) throws(RaftStoreError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw fail("cannot truncate", path) }
    }

    static func renameFile(_ from: String, _ to: String) throws(RaftStoreError) {
        let result = from.withCString { f in to.withCString { t in rename(f, t) } }
        guard result == 0 else { throw fail("cannot rename \(from) to", to) }
    }

    /// Deletes a file; a missing file is not an error.
    static func removeFile(_ path: String) throws(RaftStoreError) {
        let result = path.withCString { unlink($0) }
        guard result == 0 || errno == ENOENT else { throw fail("cannot delete", path) }
    }

    /// The whole file, or nil if it does not exist.
    static func readAll(_ path: String) throws(RaftStoreError) -> [UInt8]? {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC, 0) }
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw fail("cannot open", path)
        }
        defer { closeFile(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot read", path)
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Writes a file atomically: a temporary file, fsynced, renamed over the target, and the
    /// directory fsynced. A crash leaves either the old or the new content, never a mix.
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(RaftStoreError) {
        let temporary = path + ".tmp"
        let fd = try openFile(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, bytes, path: temporary)
            try sync(fd, path: temporary)
        } catch {
            closeFile(fd)
            throw error
        }
        closeFile(fd)
        try renameFile(temporary, path)
        try syncDirectory(directory)
    }

    static func makeDirectory(_ path: String) throws(RaftStoreError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RaftStoreError(.io, "cannot create directory \(path): \(error)")
        }
    }

    static func list(_ path: String) throws(RaftStoreError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw RaftStoreError(.io, "cannot list \(path): \(error)")
        }
    }
}

