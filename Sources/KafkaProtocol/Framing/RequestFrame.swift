import NIOCore

/// One request as the broker receives it: the header, and a reader positioned at the body.
///
/// The frame's 4-byte size prefix is already removed (see ``KafkaFrameDecoder``).
public struct RequestFrame {
    public var header: RequestHeader
    /// nil when the API key is not one Kafka defines.
    public var apiKey: ApiKey?
    public var body: WireReader

    public var apiVersion: Int16 { header.requestApiVersion }
    public var correlationId: Int32 { header.correlationId }

    /// Decodes the header. An unknown API key still yields a frame (read with header v1) so that
    /// the broker can answer or close with the right correlation id.
    public init(frame: ByteBuffer) throws {
        guard frame.readableBytes >= 4 else { throw WireError.truncated(needed: 4, available: frame.readableBytes) }
        let rawKey = frame.getInteger(at: frame.readerIndex, as: Int16.self)!
        let version = frame.getInteger(at: frame.readerIndex + 2, as: Int16.self)!
        let key = ApiKey(rawValue: rawKey)
        let headerVersion = key?.requestHeaderVersion(version) ?? 1
        var reader = WireReader(frame)
        self.header = try RequestHeader(from: &reader, version: headerVersion)
        self.apiKey = key
        self.body = reader
    }

    /// Decodes the body as `R`. The caller has checked that the version is supported.
    public func decodeBody<R: KafkaRequest>(_ type: R.Type) throws -> R {
        var reader = body
        return try R(from: &reader, version: apiVersion)
    }
}

/// Builds length-prefixed frames: requests (client side) and responses (broker side).
public enum KafkaFrame {
    /// A complete request frame, size prefix included.
    public static func request<R: KafkaRequest>(
        _ body: R, version: Int16, correlationId: Int32, clientId: String?,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var writer = WireWriter(allocator: allocator, capacity: 128)
        writer.writeInt32(0)  // size, patched below
        let header = RequestHeader(requestApiKey: R.apiKey.rawValue, requestApiVersion: version,
                                   correlationId: correlationId, clientId: clientId)
        header.encode(to: &writer, version: R.apiKey.requestHeaderVersion(version))
        body.encode(to: &writer, version: version)
        precondition(writer.isContiguous, "requests never carry file regions")
        var buffer = writer.buffer
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: buffer.readerIndex)
        return buffer
    }

    /// A complete response frame as parts to write in order (more than one only when the body
    /// carries file regions), size prefix included.
    public static func response<R: KafkaResponse>(
        _ body: R, version: Int16, correlationId: Int32,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> [IOData] {
        var writer = WireWriter(allocator: allocator, capacity: 256)
        writer.writeInt32(0)
        ResponseHeader(correlationId: correlationId).encode(to: &writer, version: R.apiKey.responseHeaderVersion(version))
        body.encode(to: &writer, version: version)
        var parts = writer.finish()
        guard case var .byteBuffer(first) = parts[0] else { preconditionFailure("the first part is the header") }
        first.setInteger(Int32(writer.byteCount - 4), at: first.readerIndex)
        parts[0] = .byteBuffer(first)
        return parts
    }

    /// Decodes a response frame (size prefix removed) for a request of `R` at `version`.
    public static func decodeResponse<R: KafkaResponse>(
        _ type: R.Type, from frame: ByteBuffer, version: Int16
    ) throws -> (correlationId: Int32, body: R) {
        var reader = WireReader(frame)
        let header = try ResponseHeader(from: &reader, version: R.apiKey.responseHeaderVersion(version))
        let body = try R(from: &reader, version: version)
        return (header.correlationId, body)
    }

    /// The correlation id at the start of a response frame (size prefix removed).
    public static func peekCorrelationId(_ frame: ByteBuffer) -> Int32? {
        frame.getInteger(at: frame.readerIndex, as: Int32.self)
    }
}
