/// The six top-level views, in tab order (their number is the key that shows them).
public enum ViewID: Int, CaseIterable, Sendable {
    case brokers = 1, topics, partitions, groups, tail, events

    public var title: String {
        switch self {
        case .brokers: "Brokers"
        case .topics: "Topics"
        case .partitions: "Partitions"
        case .groups: "Groups"
        case .tail: "Tail"
        case .events: "Events"
        }
    }
}

/// Which partitions the Partitions view lists.
public enum PartitionScope: Equatable, Sendable {
    case all
    /// The partitions of one topic (drilled down from Topics).
    case topic(String)
    /// The partitions a broker holds a replica of (drilled down from Brokers).
    case broker(Int32)
}

/// What fills the body of the screen: a top-level view or a drill-down below one.
public enum Page: Equatable, Sendable {
    case brokers
    case topics
    case partitions(PartitionScope)
    case groups
    /// One group's partitions with committed offset, end offset and lag.
    case groupDetail(String)
    case tail
    /// One tailed message, by its row id ("partition:offset").
    case messageDetail(String)
    case events
    /// One event in full (Enter on Events), by its timeline id.
    case eventDetail(Int)

    /// The tab this page belongs to.
    public var view: ViewID {
        switch self {
        case .brokers: .brokers
        case .topics: .topics
        case .partitions: .partitions
        case .groups, .groupDetail: .groups
        case .tail, .messageDetail: .tail
        case .events, .eventDetail: .events
        }
    }

    /// A page of text that scrolls (a message's or an event's detail), rather than a list.
    public var isDetail: Bool {
        switch self {
        case .messageDetail, .eventDetail: true
        default: false
        }
    }

    /// The top-level page of a view.
    public static func top(_ view: ViewID) -> Page {
        switch view {
        case .brokers: .brokers
        case .topics: .topics
        case .partitions: .partitions(.all)
        case .groups: .groups
        case .tail: .tail
        case .events: .events
        }
    }

    /// Key scopes, most specific first.
    public var scopes: [KeyScope] {
        switch self {
        case .brokers: [.brokers, .lists, .everywhere]
        case .topics: [.topics, .lists, .everywhere]
        case .tail: [.tail, .lists, .everywhere]
        default: [.lists, .everywhere]
        }
    }

    /// Identifies the page's list state (selection and scroll), so each drill-down keeps its own.
    public var listID: String {
        switch self {
        case .brokers: "brokers"
        case .topics: "topics"
        case .partitions(.all): "partitions"
        case .partitions(.topic(let t)): "partitions/topic/\(t)"
        case .partitions(.broker(let b)): "partitions/broker/\(b)"
        case .groups: "groups"
        case .groupDetail(let g): "group/\(g)"
        case .tail: "tail"
        case .messageDetail(let id): "message/\(id)"
        case .events: "events"
        case .eventDetail(let id): "event/\(id)"
        }
    }

    /// Which filter and sort settings the page uses (shared by all scopes of a view).
    public var listKind: ListKind {
        switch self {
        case .brokers: .brokers
        case .topics: .topics
        case .partitions: .partitions
        case .groups: .groups
        case .groupDetail: .groupPartitions
        case .tail: .tail
        case .messageDetail: .messageDetail
        case .events: .events
        case .eventDetail: .eventDetail
        }
    }
}

/// Kinds of list, for filters and sort orders.
public enum ListKind: String, Sendable, CaseIterable {
    case brokers, topics, partitions, groups, groupPartitions, tail, messageDetail, events, eventDetail
}
