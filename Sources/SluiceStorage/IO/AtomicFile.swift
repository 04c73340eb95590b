import NIOCore
import SluiceBase

/// Replaces a small file all at once: write `<path>.tmp`, fsync it, rename it over `path`, fsync
/// the directory. A crash leaves either the old file or the new one, never a mixture; a stray
/// `.tmp` left by a crash is ignored and removed by the loader.
///
/// `durable: false` skips both fsyncs, for files whose loss only costs time (producer snapshots,
/// verified by their CRC), or when the caller fsyncs the directory itself afterwards.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String, faults: StorageFaults? = nil, durable: Bool = true,
                      syncDirectory: Bool = true) throws {
        let tmp = path + ".tmp"
        let file = try StorageFile(path: tmp, create: true, faults: faults)
        do {
            try file.truncate(to: 0)
            try bytes.withUnsafeBytes { try file.write([$0], at: 0) }
            if durable { try file.sync() }
            file.close()
            try FileSystem.rename(tmp, path)
            if durable && syncDirectory { try FileSystem.fsyncDirectory(directory(of: path)) }
        } catch {
            file.close()
            try? FileSystem.unlinkIfPresent(tmp)
            throw error
        }
    }

    static func write(_ text: String, to path: String, faults: StorageFaults? = nil) throws {
        try write(Array(text.utf8), to: path, faults: faults)
    }

    /// The whole file, or nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        guard Posix.fileExists(path) else { return nil }
        let file = try StorageFile.openReadOnly(path)
        defer { file.close() }
        let size = try file.size()
        var bytes = [UInt8](repeating: 0, count: size)
        let n = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        return Array(bytes[0..<n])
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
