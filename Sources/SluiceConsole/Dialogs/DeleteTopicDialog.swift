/// The Ctrl-D dialog: deleting a topic needs its name typed exactly.
public struct DeleteTopicDialog: Equatable, Sendable {
    public var topic: String
    public var field = TextField(limit: 1000)
    public var error: String?
    public var pending = false

    public init(topic: String) { self.topic = topic }

    public enum Outcome: Equatable, Sendable { case edited, confirmed, cancel }

    public mutating func handle(_ key: Key) -> Outcome {
        if key == .escape { return .cancel }
        if pending { return .edited }
        if key == .enter {
            if field.text == topic { return .confirmed }
            error = "Type \(topic) exactly to delete it (Esc cancels)"
            return .edited
        }
        if field.handle(key) { error = nil }
        return .edited
    }

    public func lines(width: Int) -> [[Span]] {
        var out: [[Span]] = [
            [Span("Delete topic ", .dialog), Span(topic, .dialogBorder), Span(" and all its messages?", .dialog)],
            [Span("This cannot be undone. Type the topic name to confirm.", .dialog)],
            [],
            [Span("Name  ", .dialog)] + field.spans(width: max(4, width - 8), role: .fieldFocus, cursorRole: .selection,
                                                   showCursor: !pending),
            [],
        ]
        if pending {
            out.append([Span("Deleting…", .warn)])
        } else if let error {
            out.append([Span(error, .error)])
        } else {
            out.append([Span("Enter deletes, Esc cancels", .muted)])
        }
        return out
    }
}
