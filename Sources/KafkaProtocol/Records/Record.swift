import NIOCore

/// One record of a batch, with absolute offset and timestamp.
public struct Record: Sendable, Equatable {
    public var offset: Int64
    public var timestamp: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]

    public init(offset: Int64 = 0, timestamp: Int64 = 0, key: ByteBuffer? = nil, value: ByteBuffer?,
                headers: [RecordHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A record header: a string key and nullable bytes.
public struct RecordHeader: Sendable, Equatable {
    public var key: String
    public var value: ByteBuffer?

    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}

extension Record {
    /// The smallest record on the wire: length, attributes, timestamp and offset deltas, key and
    /// value lengths, header count — one byte each.
    static let minimumEncodedSize = 7

    /// Decodes one record (length-prefixed) relative to the batch's base offset and timestamp.
    static func decode(from reader: inout WireReader, baseOffset: Int64, baseTimestamp: Int64) throws -> Record {
        let length = Int(try reader.readVarint())
        guard length >= 0, length <= reader.remaining else {
            throw RecordBatchError.invalidRecord("record length \(length) with \(reader.remaining) bytes left")
        }
        var r = WireReader(try reader.readSlice(length))
        _ = try r.readInt8()  // attributes, unused in magic 2
        let timestampDelta = try r.readVarlong()
        let offsetDelta = try r.readVarint()
        let key = try readVarBytes(&r)
        let value = try readVarBytes(&r)
        let headerCount = Int(try r.readVarint())
        guard headerCount >= 0, headerCount <= r.remaining else {
            throw RecordBatchError.invalidRecord("header count \(headerCount)")
        }
        var headers: [RecordHeader] = []
        headers.reserveCapacity(min(headerCount, 16))
        for _ in 0..<headerCount {
            guard let keyBytes = try readVarBytes(&r) else { throw RecordBatchError.invalidRecord("null header key") }
            headers.append(RecordHeader(key: String(buffer: keyBytes), value: try readVarBytes(&r)))
        }
        guard r.remaining == 0 else {
            throw RecordBatchError.invalidRecord("\(r.remaining) bytes left inside a record of \(length) bytes")
        }
        return Record(
            offset: baseOffset &+ Int64(offsetDelta),
            timestamp: baseTimestamp &+ timestampDelta,
            key: key,
            value: value,
            headers: headers
        )
    }

    private static func readVarBytes(_ r: inout WireReader) throws -> ByteBuffer? {
        let length = Int(try r.readVarint())
        if length < 0 { return nil }
        guard length <= r.remaining else { throw RecordBatchError.invalidRecord("field length \(length)") }
        return try r.readSlice(length)
    }

    /// Encodes the record's body relative to the given bases, length prefix included.
    func encode(to w: inout WireWriter, offsetDelta: Int32, timestampDelta: Int64) {
        var body = WireWriter(capacity: 16 + (key?.readableBytes ?? 0) + (value?.readableBytes ?? 0))
        body.writeInt8(0)
        body.writeVarlong(timestampDelta)
        body.writeVarint(offsetDelta)
        Self.writeVarBytes(key, &body)
        Self.writeVarBytes(value, &body)
        body.writeVarint(Int32(headers.count))
        for h in headers {
            body.writeVarint(Int32(h.key.utf8.count))
            body.buffer.writeString(h.key)
            Self.writeVarBytes(h.value, &body)
        }
        w.writeVarint(Int32(body.buffer.readableBytes))
        w.writeRaw(body.buffer)
    }

    private static func writeVarBytes(_ b: ByteBuffer?, _ w: inout WireWriter) {
        guard let b else {
            w.writeVarint(-1)
            return
        }
        w.writeVarint(Int32(b.readableBytes))
        w.writeRaw(b)
    }
}

extension RecordBatch {
    /// Decodes the batch's records, decompressing when needed. `maxDecompressedSize` bounds the
    /// memory a hostile batch can make us allocate. Every failure is a ``RecordBatchError``.
    ///
    /// Does not check the CRC: call ``validate()`` first for bytes from the network or a disk.
    public func records(maxDecompressedSize: Int = CompressionCodec.defaultMaxDecompressedSize) throws -> [Record] {
        guard let codec = compression else { throw RecordBatchError.unknownCompression(attributes.compressionBits) }
        let section: ByteBuffer
        do {
            section = try codec.decompress(recordsSection, maxSize: maxDecompressedSize)
        } catch let error as CompressionError {
            throw RecordBatchError.decompressionFailed(error)
        }
        do {
            return try decodeRecords(section)
        } catch let error as WireError {
            throw RecordBatchError.invalidRecord(error.description)
        }
    }

    private func decodeRecords(_ section: ByteBuffer) throws -> [Record] {
        let count = Int(recordCount)
        guard count >= 0, count <= section.readableBytes / Record.minimumEncodedSize else {
            throw RecordBatchError.invalidRecordCount(recordCount)
        }
        var reader = WireReader(section)
        var out: [Record] = []
        out.reserveCapacity(min(count, 4096))
        let base = baseOffset
        let baseTs = baseTimestamp
        let logAppend = attributes.timestampType == .logAppendTime
        for _ in 0..<count {
            var record = try Record.decode(from: &reader, baseOffset: base, baseTimestamp: baseTs)
            if logAppend { record.timestamp = maxTimestamp }
            out.append(record)
        }
        guard reader.remaining == 0 else {
            throw RecordBatchError.invalidRecord("\(reader.remaining) bytes after the batch's \(count) records")
        }
        return out
    }
}
