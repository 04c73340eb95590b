#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A blocking HTTP/1.1 client for the broker's metrics endpoint: one request per connection
/// (`Connection: close`), read to the end.
struct HTTPTestResponse {
    var status: Int
    var headers: [String: String]
    var body: String
}

enum HTTPTestClient {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Sends `request` (raw bytes) and reads until the server closes; nil when nothing came back.
    static func exchange(port: Int, _ request: [UInt8]) throws -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server closed (a request it refused): read what it answered
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { break }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "timed out reading the response") }
                break  // reset
            }
            received += chunk[0..<n]
        }
        return received.isEmpty ? nil : String(decoding: received, as: UTF8.self)
    }

    static func get(port: Int, _ path: String, headers: [String: String] = [:], method: String = "GET") throws -> HTTPTestResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        guard let raw = try exchange(port: port, Array(text.utf8)) else { throw Failure(description: "no response to \(path)") }
        return try parse(raw)
    }

    /// ``get(port:_:headers:method:)`` on a thread of its own, so that an async test polling the
    /// endpoint never blocks a thread of the (two-thread) cooperative pool.
    static func getOffPool(port: Int, _ path: String) async throws -> HTTPTestResponse {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try get(port: port, path) }) }.start()
        }
    }

    static func parse(_ raw: String) throws -> HTTPTestResponse {
        guard let split = raw.range(of: "\r\n\r\n") else { throw Failure(description: "no header end in: \(raw.prefix(200))") }
        let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPTestResponse(status: status, headers: headers, body: String(raw[split.upperBound...]))
    }
}

/// The samples of a Prometheus text exposition, by `name{labels}` as written.
struct PrometheusSamples {
    private(set) var values: [String: Double] = [:]
    /// The names declared by `# TYPE` lines.
    private(set) var families: Set<String> = []
    private(set) var helped: Set<String> = []

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") { families.insert(String(line.split(separator: " ")[2])) }
            if line.hasPrefix("# HELP ") { helped.insert(String(line.split(separator: " ")[2])) }
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            values[String(line[..<space])] = value
        }
    }

    subscript(_ key: String) -> Double? { values[key] }
}
