import Foundation

extension LocalCluster {
    /// Whether a TCP port on 127.0.0.1 can be bound now (nobody listens on it). SO_REUSEADDR, as
    /// servers use: connections of a stopped broker lingering in TIME_WAIT do not make its port busy.
    public static func portIsFree(_ port: Int) -> Bool { bindLoopback(port) != nil }

    /// A free TCP port on 127.0.0.1: `preferring` (or the next ones, up to 100 further) when free,
    /// otherwise one the kernel picks; never one of `taken`.
    public static func freePort(preferring: Int? = nil, avoiding taken: Set<Int> = []) throws -> Int {
        if let preferring {
            for port in preferring..<min(65536, preferring + 100) where !taken.contains(port) && portIsFree(port) { return port }
        }
        for _ in 0..<20 {
            if let port = bindLoopback(0), !taken.contains(port) { return port }
        }
        throw LocalClusterError("no free TCP port on 127.0.0.1")
    }

    private static func bindLoopback(_ port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
