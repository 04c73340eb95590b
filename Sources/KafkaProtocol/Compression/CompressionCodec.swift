import NIOCore

/// The compression codecs of record batches (attribute bits 0-2).
public enum CompressionCodec: Int8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    /// Kafka's name for the codec, as in `compression.type`.
    public var description: String {
        switch self {
        case .none: return "none"
        case .gzip: return "gzip"
        case .snappy: return "snappy"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "none", "uncompressed": self = .none
        case "gzip": self = .gzip
        case "snappy": self = .snappy
        case "lz4": self = .lz4
        case "zstd": self = .zstd
        default: return nil
        }
    }
}

/// Why compressing or decompressing failed.
public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    public var codec: CompressionCodec
    public var reason: String

    public init(_ codec: CompressionCodec, _ reason: String) {
        self.codec = codec
        self.reason = reason
    }

    public var description: String { "\(codec) compression: \(reason)" }
}
