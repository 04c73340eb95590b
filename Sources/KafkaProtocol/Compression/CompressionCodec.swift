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
///
/// ```swift
/// do { _ = try CompressionCodec.lz4.decompress(bytes, maxSize: 1 << 20) }
/// catch let error as CompressionError where error.kind == .outputLimitExceeded { ... }
/// ```
public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The broad reason, for callers that react differently (a bomb versus a corrupt batch).
    public enum Kind: Hashable, Sendable {
        /// The input is not valid data of the codec (bad magic, checksum, truncation, impossible offsets).
        case corrupt
        /// The output would pass the caller's `maxSize`: treated as a decompression bomb.
        case outputLimitExceeded
        /// The codec cannot run here (zstd without libzstd.so.1).
        case unavailable
    }

    public var codec: CompressionCodec
    public var kind: Kind
    public var reason: String

    public init(_ codec: CompressionCodec, _ reason: String, kind: Kind = .corrupt) {
        self.codec = codec
        self.reason = reason
        self.kind = kind
    }

    static func corrupt(_ codec: CompressionCodec, _ reason: String) -> CompressionError {
        CompressionError(codec, reason, kind: .corrupt)
    }

    static func outputLimitExceeded(_ codec: CompressionCodec, limit: Int) -> CompressionError {
        CompressionError(codec, "decompressed data exceeds the limit of \(limit) bytes", kind: .outputLimitExceeded)
    }

    public var description: String { "\(codec) compression: \(reason)" }
}
