import Foundation

/// Where ``ClusterMetadata`` is kept. Saving must be atomic: after a crash, `load()` returns
/// either the previous or the new value, never a mix.
public protocol MetadataStore: Sendable {
    /// The saved metadata, or nil when none was ever saved.
    func load() throws -> ClusterMetadata?
    func save(_ metadata: ClusterMetadata) throws
}

/// Keeps the metadata as JSON in `<data-dir>/sluice-metadata.json`, replaced atomically
/// (write a temporary file, fsync it, rename it over the old one, fsync the directory).
public struct FileMetadataStore: MetadataStore {
    public static let fileName = "sluice-metadata.json"
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    var path: String { directory + "/" + Self.fileName }

    public func load() throws -> ClusterMetadata? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try JSONDecoder().decode(ClusterMetadata.self, from: data)
        } catch {
            throw BrokerConfigError("cannot read \(path): \(error)")
        }
    }

    public func save(_ metadata: ClusterMetadata) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(metadata)
        let temporary = path + ".tmp"
        try Self.writeSynced(data, to: temporary)
        guard rename(temporary, path) == 0 else { throw Self.posixError("rename", temporary) }
        let dirFD = open(directory, O_RDONLY)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    private static func writeSynced(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw posixError("open", path) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw posixError("write", path)
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw posixError("fsync", path) }
    }

    private static func posixError(_ operation: String, _ path: String) -> BrokerConfigError {
        BrokerConfigError("\(operation) \(path) failed: \(String(cString: strerror(errno)))")
    }
}
