import Foundation
import KafkaProtocol
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The machine-limit side of `sluice bench storage`: plain buffered write(2) into a file, and
/// sendfile(2) from a file to a loopback TCP socket that a reader thread drains.
enum BenchIO {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func check(_ rc: Int, _ what: String) throws {
        if rc < 0 { throw Failure(description: "\(what): errno \(errno)") }
    }

    /// Writes `total` bytes in `chunk`-sized write(2) calls to a new file; returns seconds.
    static func rawWrite(path: String, chunk: Int, total: Int) throws -> Double {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try check(Int(fd), "open \(path)")
        defer { close(fd) }
        let buffer = [UInt8](repeating: 0x5A, count: chunk)
        let start = DispatchTime.now()
        var written = 0
        try buffer.withUnsafeBytes { raw in
            while written < total {
                let n = write(fd, raw.baseAddress!, chunk)
                try check(n, "write")
                written += n
            }
        }
        return seconds(since: start)
    }

    /// A file appended to with plain write(2) calls.
    final class Writer {
        let fd: Int32
        private let buffer: [UInt8]

        init(path: String) throws {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            try check(Int(fd), "open \(path)")
            buffer = [UInt8](repeating: 0x5A, count: 1 << 20)
        }

        /// Writes `total` bytes in `chunk`-sized write(2) calls.
        func write(chunk: Int, total: Int) throws {
            var written = 0
            try buffer.withUnsafeBytes { raw in
                while written < total {
                    let n = Glibc.write(fd, raw.baseAddress!, min(chunk, total - written))
                    try check(n, "write")
                    written += n
                }
            }
        }

        func close() { Glibc.close(fd) }
    }

    /// Wall time and the calling thread's CPU time since it was made.
    struct Stopwatch {
        let wall = DispatchTime.now()
        let cpu = Stopwatch.threadCPU()

        static func threadCPU() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
    }

    /// Sums of stopwatch readings.
    struct Elapsed {
        var wall = 0.0
        var cpu = 0.0

        mutating func add(_ watch: Stopwatch) {
            wall += seconds(since: watch.wall)
            cpu += Stopwatch.threadCPU() - watch.cpu
        }

        func rate(_ bytes: Int) -> BenchStorageCommand.Rate {
            BenchStorageCommand.Rate(wall: Double(bytes) / wall, cpu: Double(bytes) / max(cpu, 1e-9))
        }
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// A loopback TCP connection whose receiving end a thread drains, counting bytes.
    final class LoopbackSink: @unchecked Sendable {
        // @unchecked Sendable: `received` is only written by the reader thread and read after
        // `finish()` has joined it (through the semaphore).
        let sender: Int32
        private var received = 0
        private let done = DispatchSemaphore(value: 0)

        init() throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try check(Int(listener), "socket")
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            try withUnsafeMutablePointer(to: &address) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try check(Int(bind(listener, sa, length)), "bind")
                    try check(Int(getsockname(listener, sa, &length)), "getsockname")
                }
            }
            try check(Int(listen(listener, 1)), "listen")
            sender = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try check(Int(sender), "socket")
            try withUnsafePointer(to: &address) { p in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try check(Int(connect(sender, sa, socklen_t(MemoryLayout<sockaddr_in>.size))), "connect")
                }
            }
            let receiver = accept(listener, nil, nil)
            try check(Int(receiver), "accept")
            close(listener)
            let thread = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                var total = 0
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(receiver, $0.baseAddress!, $0.count, 0) }
                    if n <= 0 { break }
                    total += n
                }
                close(receiver)
                self.received = total
                self.done.signal()
            }
            thread.start()
        }

        /// Closes the sending side and waits for the reader; returns the bytes it received.
        func finish() -> Int {
            shutdown(sender, Int32(SHUT_WR))
            done.wait()
            close(sender)
            return received
        }
    }

    /// sendfile(2)s `count` bytes of `file` from `offset` to `socket`.
    static func sendFile(_ file: Int32, offset: Int, count: Int, to socket: Int32) throws {
        var position = off_t(offset)
        var left = count
        while left > 0 {
            let n = sendfile(socket, file, &position, left)
            if n < 0 && errno == EINTR { continue }
            try check(n, "sendfile")
            if n == 0 { throw Failure(description: "sendfile sent nothing (file shorter than expected)") }
            left -= n
        }
    }

    /// Sends what a log read returned, as a broker's transport would.
    static func send(_ payload: RecordsPayload, to socket: Int32) throws -> Int {
        switch payload {
        case let .bytes(buffer):
            var sent = 0
            try buffer.withUnsafeReadableBytes { raw in
                while sent < raw.count {
                    let n = Glibc.send(socket, raw.baseAddress! + sent, raw.count - sent, 0)
                    try check(n, "send")
                    sent += n
                }
            }
            return sent
        case let .file(region):
            try region.fileHandle.withUnsafeFileDescriptor { fd in
                try sendFile(fd, offset: region.readerIndex, count: region.readableBytes, to: socket)
            }
            return region.readableBytes
        case let .concatenation(parts):
            return try parts.reduce(0) { $0 + (try send($1, to: socket)) }
        }
    }
}
