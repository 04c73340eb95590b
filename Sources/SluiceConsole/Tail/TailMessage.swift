/// One message received by the tail consumer.
public struct TailMessage: Equatable, Sendable {
    public struct Header: Equatable, Sendable {
        public var key: String
        public var value: [UInt8]?

        public init(key: String, value: [UInt8]?) {
            self.key = key
            self.value = value
        }
    }

    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since 1970 (the record's CreateTime or LogAppendTime).
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]

    public init(partition: Int32, offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [Header] = []) {
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The row id: "partition:offset".
    public var id: String { "\(partition):\(offset)" }

    /// Bytes as text for previews: UTF-8 when valid, otherwise hex.
    public static func preview(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "null" }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return "0x" + bytes.prefix(64).map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined() + (bytes.count > 64 ? "…" : "")
    }

    public var headersPreview: String {
        headers.map { "\($0.key)=\(Self.preview($0.value))" }.joined(separator: ",")
    }
}

/// Where the tail reads.
public struct TailTarget: Equatable, Sendable {
    public var topic: String
    /// nil: all partitions.
    public var partition: Int32?

    public init(topic: String, partition: Int32? = nil) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { partition.map { "\(topic)-\($0)" } ?? topic }
}

/// Where the tail starts (or seeks to).
public enum TailPosition: Equatable, Sendable {
    case beginning
    /// The last `n` messages of each partition, then new ones.
    case recent(Int)
    case end
    case offset(Int64)
    /// Milliseconds since 1970: the first message at or after it (ListOffsets by timestamp).
    case timestamp(Int64)

    /// A seek the user wants to look at from its start (the beginning, an offset, a time): the
    /// tail keeps the first messages from there rather than following new ones.
    public var anchors: Bool {
        switch self {
        case .beginning, .offset, .timestamp: true
        case .recent, .end: false
        }
    }
}
