import Foundation
import KafkaProtocol
import NIOCore

/// An encoded response: the frame's parts (file regions for zero-copy fetches) and the hook to
/// run once they are written.
struct EncodedResponse: Sendable {
    var parts: [IOData]
    var onWritten: (@Sendable () -> Void)?
    /// How long the connection stops reading once this is written (a throttled client).
    var muteMs: Int64 = 0
}

extension EncodedResponse {
    /// The response with every file region read into a buffer (blocking: on the I/O pool).
    func readingFileRegions() throws -> EncodedResponse {
        var copy = self
        copy.parts = try parts.map { part in
            guard case .fileRegion(let region) = part else { return part }
            var buffer = ByteBufferAllocator().buffer(capacity: region.readableBytes)
            try region.fileHandle.withUnsafeFileDescriptor { descriptor in
                var offset = region.readerIndex
                while offset < region.endIndex {
                    let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: region.endIndex - offset) { target in
                        pread(descriptor, target.baseAddress!, region.endIndex - offset, off_t(offset))
                    }
                    guard read > 0 else { throw IOError(errnoCode: read < 0 ? errno : EIO, reason: "pread of a segment") }
                    offset += read
                }
            }
            return .byteBuffer(buffer)
        }
        return copy
    }
}

/// Why a request closes its connection (Kafka closes rather than answers in these cases).
struct RequestRejection: Error, CustomStringConvertible {
    var description: String
}

/// Every API this broker implements, by key, with the versions it advertises.
///
/// The registry decodes each request body (on the event loop, so that handlers see requests in
/// arrival order), runs its handler and encodes the reply. It alone builds the ApiVersions
/// response, so nothing is advertised that has no handler.
public struct HandlerRegistry: Sendable {
    struct Entry: Sendable {
        let versions: ClosedRange<Int16>
        let run: @Sendable (RequestFrame, RequestContext) throws -> EventLoopFuture<EncodedResponse?>
    }

    private var entries: [ApiKey: Entry] = [:]

    public init() {}

    public mutating func register<H: ApiHandler>(_ handler: H) {
        precondition(H.versions.lowerBound >= H.apiKey.specVersions.lowerBound
                     && H.versions.upperBound <= H.apiKey.specVersions.upperBound,
                     "\(H.apiKey) handler claims versions the specs do not define")
        entries[H.apiKey] = Entry(versions: H.versions) { frame, context in
            let request = try frame.decodeBody(H.Request.self)
            return handler.handle(request, context: context).map { reply in
                guard let response = reply.response else {
                    reply.onWritten?()
                    // acks=0: nothing to write, but a throttled client is still muted.
                    return reply.muteMs > 0 ? EncodedResponse(parts: [], onWritten: nil, muteMs: reply.muteMs) : nil
                }
                let parts = KafkaFrame.response(response, version: context.apiVersion,
                                                correlationId: context.header.correlationId)
                return EncodedResponse(parts: parts, onWritten: reply.onWritten, muteMs: reply.muteMs)
            }
        }
    }

    /// The advertised ranges, by key, as ApiVersions lists them.
    public var advertisedVersions: [(key: ApiKey, versions: ClosedRange<Int16>)] {
        entries.map { ($0.key, $0.value.versions) }.sorted { $0.key.rawValue < $1.key.rawValue }
    }

    public func versions(of key: ApiKey) -> ClosedRange<Int16>? { entries[key]?.versions }

    /// Runs one request. Throws ``RequestRejection`` (unknown key, unsupported version) or a
    /// decoding error (malformed body): the caller closes the connection, as Kafka does.
    func dispatch(_ frame: RequestFrame, context: RequestContext) throws -> EventLoopFuture<EncodedResponse?> {
        guard let key = frame.apiKey else {
            throw RequestRejection(description: "unknown API key \(frame.header.requestApiKey)")
        }
        guard let entry = entries[key] else {
            throw RequestRejection(description: "\(key) (key \(key.rawValue)) is not supported by this broker")
        }
        guard entry.versions.contains(frame.apiVersion) else {
            if key == .apiVersions {
                return context.eventLoop.makeSucceededFuture(unsupportedApiVersions(context))
            }
            throw RequestRejection(description: "\(key) v\(frame.apiVersion) is not supported (supported: \(entry.versions.lowerBound)-\(entry.versions.upperBound))")
        }
        return try entry.run(frame, context)
    }

    /// An ApiVersions request at a version this broker does not know gets UNSUPPORTED_VERSION in
    /// the v0 layout, listing the ApiVersions range, so the client can retry at a version we have.
    private func unsupportedApiVersions(_ context: RequestContext) -> EncodedResponse {
        let range = entries[.apiVersions]!.versions
        let body = ApiVersionsResponse(
            errorCode: ErrorCode.unsupportedVersion.rawValue,
            apiKeys: [.init(apiKey: ApiKey.apiVersions.rawValue, minVersion: range.lowerBound, maxVersion: range.upperBound)])
        let parts = KafkaFrame.response(body, version: 0, correlationId: context.header.correlationId)
        return EncodedResponse(parts: parts, onWritten: nil)
    }
}
