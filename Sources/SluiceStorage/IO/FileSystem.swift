import SluiceBase

/// SluiceBase's ``Posix`` file-system calls that can fail, failing with ``StorageError/io(_:path:errno:)``
/// instead of `PosixError`: every storage failure reaches the broker as a `StorageError`, which it
/// answers with KAFKA_STORAGE_ERROR. The calls that cannot fail (`Posix.fileExists`,
/// `Posix.nowMs`, ...) are used directly.
enum FileSystem {
    static func open(_ path: String, create: Bool) throws(StorageError) -> Int32 {
        try storage { () throws(PosixError) in try Posix.open(path, create: create) }
    }

    static func openReadOnly(_ path: String) throws(StorageError) -> Int32 {
        try storage { () throws(PosixError) in try Posix.openReadOnly(path) }
    }

    static func fsyncDirectory(_ path: String) throws(StorageError) {
        try storage { () throws(PosixError) in try Posix.fsyncDirectory(path) }
    }

    static func rename(_ from: String, _ to: String) throws(StorageError) {
        try storage { () throws(PosixError) in try Posix.rename(from, to) }
    }

    static func unlinkIfPresent(_ path: String) throws(StorageError) {
        try storage { () throws(PosixError) in try Posix.unlinkIfPresent(path) }
    }

    static func fileSize(_ path: String) throws(StorageError) -> Int {
        try storage { () throws(PosixError) in try Posix.fileSize(path) }
    }

    static func makeDirectory(_ path: String) throws(StorageError) {
        try storage { () throws(PosixError) in try Posix.makeDirectory(path) }
    }

    static func listDirectory(_ path: String) throws(StorageError) -> [String] {
        try storage { () throws(PosixError) in try Posix.listDirectory(path) }
    }

    static func removeTree(_ path: String) throws(StorageError) {
        try storage { () throws(PosixError) in try Posix.removeTree(path) }
    }

    private static func storage<T>(_ call: () throws(PosixError) -> T) throws(StorageError) -> T {
        do {
            return try call()
        } catch {
            throw StorageError.io(error.operation, path: error.path, errno: error.errno)
        }
    }
}
