#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: what was attempted, on which path, and the `errno` it returned.
///
/// Modules map it to their own error at their edge (storage to `StorageError.io`, which the
/// broker answers with KAFKA_STORAGE_ERROR; Raft's disk store to `RaftStoreError(.io)`).
public struct PosixError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call, in words: `open`, `fsync directory`, `rename to /data/x`.
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(_ operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// `open /data/x: No such file or directory (errno 2)`.
    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
