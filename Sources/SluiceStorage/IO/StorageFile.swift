#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import SluiceBase

/// An open file read and written at explicit positions (pread/pwritev), never through a shared
/// file pointer, so concurrent readers of duplicated descriptors cannot disturb each other.
///
/// Not thread-safe by itself: its owner (a ``Segment`` under its log's lock, or a single
/// thread) serialises the calls. Code outside the owner's lock works on ``duplicate()``s, so
/// that closing this file never pulls a descriptor from under a reader.
final class StorageFile {
    let path: String
    private(set) var fd: Int32
    let faults: StorageFaults?

    init(path: String, create: Bool, faults: StorageFaults? = nil) throws {
        if create, let fault = faults?.check(.create, path: path) {
            throw StorageError.io("create", path: path, errno: fault.errno)
        }
        self.path = path
        self.fd = try FileSystem.open(path, create: create)
        self.faults = faults
    }

    /// Wraps an already open descriptor (taking ownership).
    init(path: String, descriptor: Int32, faults: StorageFaults? = nil) {
        self.path = path
        self.fd = descriptor
        self.faults = faults
    }

    /// Opens an existing file without write access (for tools inspecting a data directory).
    static func openReadOnly(_ path: String) throws -> StorageFile {
        StorageFile(path: path, descriptor: try FileSystem.openReadOnly(path))
    }

    func close() {
        if fd >= 0 {
            Posix.close(fd)
            fd = -1
        }
    }

    deinit { close() }

    /// The file's current size on disk.
    func size() throws -> Int {
        var st = stat()
        if fstat(fd, &st) != 0 { throw StorageError.io("fstat", path: path, errno: Posix.errno) }
        return Int(st.st_size)
    }

    /// Reads up to `into.count` bytes at `position`; fewer only at the end of the file.
    func read(into target: UnsafeMutableRawBufferPointer, at position: Int) throws -> Int {
        var done = 0
        while done < target.count {
            let n = pread(fd, target.baseAddress! + done, target.count - done, off_t(position + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if Posix.errno != EINTR {
                throw StorageError.io("read", path: path, errno: Posix.errno)
            }
        }
        return done
    }

    /// Reads up to `count` bytes at `position` into a new buffer (shorter at the end of the file).
    func readBuffer(count: Int, at position: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            try self.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), at: position)
        }
        _ = n
        return buffer
    }

    /// Writes all of `parts` back to back at `position`, or throws. After a throw, some prefix of
    /// the bytes may have reached the file: the caller truncates back (see ``truncate(to:)``).
    func write(_ parts: [UnsafeRawBufferPointer], at position: Int) throws {
        try parts.withUnsafeBufferPointer { try write($0, at: position) }
    }

    /// Writes all of `bytes` at `position` with pwrite(2), or throws (see above).
    func write(_ bytes: UnsafeRawBufferPointer, at position: Int) throws {
        if faults != nil {
            try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: 1) { parts in
                parts[0] = bytes
                try write(UnsafeBufferPointer(parts), at: position)
            }
            return
        }
        var written = 0
        while written < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(position + written))
            if n < 0 {
                if Posix.errno == EINTR { continue }
                throw StorageError.io("write", path: path, errno: Posix.errno)
            }
            if n == 0 { throw StorageError.io("write", path: path, errno: EIO) }
            written += n
        }
    }

    func write(_ parts: UnsafeBufferPointer<UnsafeRawBufferPointer>, at position: Int) throws {
        if parts.count == 1 && faults == nil {
            let part = parts[0]
            var written = 0
            while written < part.count {
                let n = pwrite(fd, part.baseAddress! + written, part.count - written, off_t(position + written))
                if n < 0 {
                    if Posix.errno == EINTR { continue }
                    throw StorageError.io("write", path: path, errno: Posix.errno)
                }
                if n == 0 { throw StorageError.io("write", path: path, errno: EIO) }
                written += n
            }
            return
        }
        let total = parts.reduce(0) { $0 + $1.count }
        var limit = total
        var injected: Int32?
        if let fault = faults?.check(.write, path: path) {
            limit = min(fault.afterBytes, total)
            injected = fault.errno
        }
        try withUnsafeTemporaryAllocation(of: iovec.self, capacity: max(parts.count, 1)) { iovecs in
            var count = 0
            var budget = limit
            for part in parts where part.count > 0 && budget > 0 {
                let n = min(part.count, budget)
                iovecs[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: part.baseAddress!), iov_len: n)
                count += 1
                budget -= n
            }
            var written = 0
            var first = 0
            while written < limit {
                let n = pwritev(fd, iovecs.baseAddress! + first, Int32(min(count - first, 1024)), off_t(position + written))
                if n < 0 {
                    if Posix.errno == EINTR { continue }
                    throw StorageError.io("write", path: path, errno: Posix.errno)
                }
                if n == 0 { throw StorageError.io("write", path: path, errno: EIO) }
                written += n
                // Drop fully written vectors and advance into a partly written one.
                var consumed = n
                while consumed > 0 && first < count {
                    if consumed >= iovecs[first].iov_len {
                        consumed -= iovecs[first].iov_len
                        first += 1
                    } else {
                        iovecs[first].iov_base += consumed
                        iovecs[first].iov_len -= consumed
                        consumed = 0
                    }
                }
            }
        }
        if let injected { throw StorageError.io("write", path: path, errno: injected) }
    }

    /// Writes the readable bytes of `buffer` at `position`.
    func write(_ buffer: ByteBuffer, at position: Int) throws {
        try buffer.withUnsafeReadableBytes { try write($0, at: position) }
    }

    /// Cuts the file to `size` bytes.
    func truncate(to size: Int) throws {
        if let fault = faults?.check(.truncate, path: path) {
            throw StorageError.io("truncate", path: path, errno: fault.errno)
        }
        while ftruncate(fd, off_t(size)) != 0 {
            if Posix.errno != EINTR { throw StorageError.io("truncate", path: path, errno: Posix.errno) }
        }
    }

    /// Makes the file's data durable (fdatasync where available).
    func sync() throws {
        if let fault = faults?.check(.sync, path: path) {
            throw StorageError.io("fsync", path: path, errno: fault.errno)
        }
        #if os(Linux)
        let rc = fdatasync(fd)
        #else
        let rc = fsync(fd)
        #endif
        if rc != 0 { throw StorageError.io("fsync", path: path, errno: Posix.errno) }
    }

    /// A new descriptor for the same open file, owned by the caller.
    func duplicateDescriptor() throws -> Int32 {
        let d = dup(fd)
        if d < 0 { throw StorageError.io("dup", path: path, errno: Posix.errno) }
        return d
    }

    /// An independent `StorageFile` on the same open file (the descriptor is duplicated).
    func duplicate() throws -> StorageFile {
        StorageFile(path: path, descriptor: try duplicateDescriptor(), faults: faults)
    }

    /// A NIO handle on a duplicated descriptor, for a `FileRegion` that outlives this file.
    func duplicateHandle() throws -> NIOFileHandle {
        NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: try duplicateDescriptor())
    }
}
