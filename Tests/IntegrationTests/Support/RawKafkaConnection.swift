#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaProtocol
import NIOCore

/// A blocking TCP connection that speaks raw Kafka frames, for tests that need to see exactly
/// what the broker sends (or send it garbage). Shared by the unit and integration test targets.
///
/// Async code uses the async methods, which run each blocking call on a thread of their own
/// (``offPool(_:)``), so that a test waiting for a broker's answer never holds a thread of the
/// cooperative pool. The blocking methods are for synchronous code that already runs on a thread
/// of its own (an `offPool` body, a tight loop of many calls); the compiler refuses them in
/// async code.
final class RawKafkaConnection: @unchecked Sendable {
    // @unchecked: one caller at a time — a test awaits each call (and its thread) before the next;
    // `pending` and `nextCorrelationId` are only touched by the call under way.
    let fd: Int32
    private var pending = ByteBuffer()
    private var nextCorrelationId: Int32 = 1

    struct Closed: Error {}
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Connects (off the cooperative pool).
    init(host: String = "127.0.0.1", port: Int, timeoutSeconds: Int = 10) async throws {
        fd = try await offPool { try Self.connect(host: host, port: port, timeoutSeconds: timeoutSeconds) }
    }

    @available(*, noasync, message: "blocks its thread: use the async init, or call it inside offPool")
    init(host: String = "127.0.0.1", port: Int, timeoutSeconds: Int = 10) throws {
        fd = try Self.connect(host: host, port: port, timeoutSeconds: timeoutSeconds)
    }

    private static func connect(host: String, port: Int, timeoutSeconds: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw Failure(description: "connect to \(host):\(port) failed: errno \(error)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    deinit { close(fd) }

    /// Sends raw bytes; false when the broker has closed the connection.
    @available(*, noasync, message: "blocks its thread: await the async overload, or call it inside offPool")
    @discardableResult
    func send(_ bytes: ByteBuffer) -> Bool {
        var buffer = bytes
        while buffer.readableBytes > 0 {
            let n = buffer.withUnsafeReadableBytes { raw in
                Glibc.send(fd, raw.baseAddress!, raw.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return false }
            buffer.moveReaderIndex(forwardBy: n)
        }
        return true
    }

    /// Sends a request and returns its correlation id.
    @available(*, noasync, message: "blocks its thread: await the async overload, or call it inside offPool")
    @discardableResult
    func send<R: KafkaRequest>(_ request: R, version: Int16) throws -> Int32 {
        let id = nextCorrelationId
        nextCorrelationId += 1
        guard send(KafkaFrame.request(request, version: version, correlationId: id, clientId: "sluice-test")) else {
            throw Closed()
        }
        return id
    }

    /// The next response frame (size prefix removed); throws ``Closed`` at end of stream.
    @available(*, noasync, message: "blocks its thread: await the async overload, or call it inside offPool")
    func receiveFrame() throws -> ByteBuffer {
        while true {
            if let frame = try KafkaFrameDecoder.nextFrame(from: &pending, maxFrameSize: 1 << 30) { return frame }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { throw Closed() }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "timed out waiting for a response") }
                throw Closed()
            }
            pending.writeBytes(chunk[0..<n])
        }
    }

    /// Sends a request and decodes its response, checking the correlation id.
    @available(*, noasync, message: "blocks its thread: await the async overload, or call it inside offPool")
    func roundTrip<R: KafkaRequest>(_ request: R, version: Int16) throws -> R.Response {
        let id = try send(request, version: version)
        return try receive(R.Response.self, version: version, correlationId: id)
    }

    @available(*, noasync, message: "blocks its thread: await the async overload, or call it inside offPool")
    func receive<Response: KafkaResponse>(_ type: Response.Type, version: Int16, correlationId: Int32) throws -> Response {
        let frame = try receiveFrame()
        let (gotId, body) = try KafkaFrame.decodeResponse(type, from: frame, version: version)
        guard gotId == correlationId else {
            throw Failure(description: "expected correlation id \(correlationId), got \(gotId)")
        }
        return body
    }

    /// True when the broker closed the connection (reading hits end of stream).
    @available(*, noasync, message: "blocks its thread: await the async overload, or call it inside offPool")
    func isClosedByPeer() -> Bool {
        do {
            _ = try receiveFrame()
            return false
        } catch is Closed {
            return true
        } catch {
            return false
        }
    }
}

extension RawKafkaConnection {
    /// Half-closes: the broker sees end of stream after what was sent.
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads and discards until the broker closes (or a read times out).
    @available(*, noasync, message: "blocks its thread: await the async overload, or call it inside offPool")
    func drainUntilClosed() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while recv(fd, &chunk, chunk.count, 0) > 0 {}
    }
}

/// The async face of the connection: each call runs the blocking one on a thread of its own.
extension RawKafkaConnection {
    /// Sends raw bytes; false when the broker has closed the connection.
    @discardableResult
    func send(_ bytes: ByteBuffer) async -> Bool {
        await offPool { self.send(bytes) }
    }

    /// Sends a request and returns its correlation id.
    @discardableResult
    func send<R: KafkaRequest>(_ request: R, version: Int16) async throws -> Int32 {
        try await offPool { try self.send(request, version: version) }
    }

    /// The next response frame (size prefix removed); throws ``Closed`` at end of stream.
    func receiveFrame() async throws -> ByteBuffer {
        try await offPool { try self.receiveFrame() }
    }

    /// Sends a request and decodes its response, checking the correlation id.
    func roundTrip<R: KafkaRequest>(_ request: R, version: Int16) async throws -> R.Response {
        try await offPool { try self.roundTrip(request, version: version) }
    }

    func receive<Response: KafkaResponse>(_ type: Response.Type, version: Int16, correlationId: Int32) async throws -> Response {
        try await offPool { try self.receive(type, version: version, correlationId: correlationId) }
    }

    /// True when the broker closed the connection (reading hits end of stream).
    func isClosedByPeer() async -> Bool {
        await offPool { self.isClosedByPeer() }
    }

    /// Reads and discards until the broker closes (or a read times out).
    func drainUntilClosed() async {
        await offPool { self.drainUntilClosed() }
    }
}
