/// The columns each list can be sorted by (`s` cycles them, `S` reverses).
public enum ListSorts {
    public static func names(_ kind: ListKind) -> [String] {
        switch kind {
        case .brokers: ["id", "state", "leaders", "msg/s in", "log size", "round-trip"]
        case .topics: ["name", "msg/s", "size", "lag", "partitions"]
        case .partitions: ["partition", "leader", "msg/s", "high watermark", "size"]
        case .groups: ["group", "lag", "members", "state"]
        case .groupPartitions: ["partition", "lag"]
        case .tail, .messageDetail, .events, .eventDetail: []
        }
    }

    public static func defaultOrder(_ kind: ListKind) -> SortOrder { SortOrder(column: 0, descending: false) }

    /// `items` sorted by the comparator of `order.column` (ascending comparators; `descending`
    /// reverses), ties kept in their original order.
    public static func apply<T>(_ items: [T], order: SortOrder, by comparators: [(T, T) -> Bool]) -> [T] {
        guard !comparators.isEmpty else { return items }
        let less = comparators[min(order.column, comparators.count - 1)]
        return items.enumerated().sorted { a, b in
            if less(a.element, b.element) { return !order.descending }
            if less(b.element, a.element) { return order.descending }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// Case-insensitive substring match of a filter against any of `fields` (an empty filter matches).
    public static func matches(_ filter: String, _ fields: [String]) -> Bool {
        guard !filter.isEmpty else { return true }
        let needle = filter.lowercased()
        return fields.contains { $0.lowercased().contains(needle) }
    }
}
