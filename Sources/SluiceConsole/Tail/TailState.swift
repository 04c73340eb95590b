/// The Tail view's state: what is tailed, the received messages (bounded), pause and autoscroll.
public struct TailState: Equatable, Sendable {
    /// Messages kept for the view; older ones are dropped.
    public static let capacity = 2000

    public var target: TailTarget?
    public var messages: [TailMessage] = []
    public var paused = false
    /// Autoscroll: the selection stays on the newest message.
    public var follow = true
    /// Messages received since the tail started or last seeked.
    public var received = 0
    /// Where the consumer was last told to go, for the title line.
    public var position: TailPosition = .end
    /// The consumer's last error (e.g. unknown topic), shown in the view.
    public var error: String?

    public init() {}

    /// Appends messages in arrival order, dropping the oldest beyond `capacity`.
    public mutating func append(_ batch: [TailMessage]) {
        messages.append(contentsOf: batch)
        received += batch.count
        if messages.count > Self.capacity { messages.removeFirst(messages.count - Self.capacity) }
    }
}
