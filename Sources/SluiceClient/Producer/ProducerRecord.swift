import Foundation
import KafkaProtocol
import NIOCore

/// A record to send.
public struct ProducerRecord: Sendable {
    public var topic: String
    /// The partition; nil lets the ``Partitioner`` choose from the key.
    public var partition: Int32?
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    /// Milliseconds since the epoch (CreateTime); nil means now.
    public var timestamp: Int64?

    public init(topic: String, partition: Int32? = nil, key: ByteBuffer? = nil, value: ByteBuffer?,
                headers: [RecordHeader] = [], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// A record with string key and value (UTF-8).
    public init(topic: String, partition: Int32? = nil, key: String? = nil, value: String?,
                headers: [RecordHeader] = [], timestamp: Int64? = nil) {
        self.init(topic: topic, partition: partition, key: key.map { ByteBuffer(string: $0) },
                  value: value.map { ByteBuffer(string: $0) }, headers: headers, timestamp: timestamp)
    }
}

/// Where a record landed.
public struct RecordMetadata: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The record's offset; -1 when unknown (`acks=0`, or a duplicate the broker had already stored).
    public var offset: Int64
    /// The record's timestamp: its CreateTime, or the broker's LogAppendTime when the topic uses it.
    public var timestamp: Int64

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}

/// How many replicas must have a record before the producer counts it as sent.
public enum Acks: Int16, Sendable, CaseIterable {
    /// No answer is awaited (records may be lost without notice; offsets are unknown).
    case none = 0
    /// The leader has written it.
    case leader = 1
    /// Every in-sync replica has it.
    case all = -1

    /// Parses `0`, `1`, `-1` or `all`.
    public init?(name: String) {
        switch name.lowercased() {
        case "0", "none": self = .none
        case "1", "leader": self = .leader
        case "-1", "all": self = .all
        default: return nil
        }
    }
}

/// The wall clock in milliseconds since the epoch, as record timestamps use.
@inline(__always)
func currentTimeMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// A monotonic clock in nanoseconds, for lingering and timeouts.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
