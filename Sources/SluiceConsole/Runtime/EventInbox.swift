import Glibc
import Synchronization

/// Where background work (the poller, the tail, cluster actions, signals) leaves events for the UI
/// thread. Posting also writes a byte to a pipe, so the UI thread, blocked in poll(2) on the
/// terminal and this pipe, wakes at once.
public final class EventInbox: Sendable {
    private let queue = Mutex<[AppEvent]>([])
    /// The read end, for poll(2).
    public let wakeDescriptor: Int32
    private let writeDescriptor: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        } else {
            fds = [-1, -1]
        }
        wakeDescriptor = fds[0]
        writeDescriptor = fds[1]
    }

    deinit {
        close(wakeDescriptor)
        close(writeDescriptor)
    }

    public func post(_ event: AppEvent) {
        queue.withLock { $0.append(event) }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)  // a full pipe already means "wake up"
    }

    /// Every event posted so far, oldest first.
    public func drain() -> [AppEvent] {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeDescriptor, &buffer, buffer.count) > 0 {}
        return queue.withLock { events in
            defer { events = [] }
            return events
        }
    }
}
