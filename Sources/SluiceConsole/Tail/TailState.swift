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
    /// After a seek to the beginning, an offset or a time: the view keeps the first `capacity`
    /// messages from there (the consumer stops once it delivered them), so what the user asked
    /// to see stays on screen. A live tail (started, resumed, or at the end) drops the oldest.
    public var anchored = false
    /// The anchored window is full and the consumer stopped (Space continues, live).
    public var windowFull = false
    /// The tailed topic does not exist (deleted while tailed, or not yet created): what is shown
    /// is what the old topic had; the tail starts over when the topic is created (again).
    public var topicMissing: Missing?

    public enum Missing: Equatable, Sendable { case deleted, notCreated }

    public init() {}

    /// Appends messages in arrival order: beyond `capacity`, a live tail drops the oldest, an
    /// anchored one the newest.
    public mutating func append(_ batch: [TailMessage]) {
        if anchored {
            let room = max(0, Self.capacity - messages.count)
            messages.append(contentsOf: batch.prefix(room))
            received += min(room, batch.count)
            return
        }
        messages.append(contentsOf: batch)
        received += batch.count
        if messages.count > Self.capacity { messages.removeFirst(messages.count - Self.capacity) }
    }
}
