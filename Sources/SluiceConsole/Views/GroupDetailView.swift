/// A group's partitions (Enter on Groups): committed offset, end offset, lag and owning member;
/// for a consumer group (KIP-848) moving partitions, where each goes ("a → b" in Member) and how
/// far it is: "revoking" while its holder gives it up, "assigning" once it is free and waits for
/// its new holder.
public enum GroupDetailView {
    public static func table(_ state: AppState, group id: String) -> TableModel {
        let filter = state.filter(.groupPartitions)
        guard let group = state.snapshot?.group(id) else {
            return TableModel(columns: columns, rows: [], emptyMessage: "Group \(id) no longer exists (Esc goes back)")
        }
        var offsets = group.offsets.filter {
            ListSorts.matches(filter, [$0.key.description, $0.owner ?? "", moveText($0) ?? ""])
        }
        offsets = ListSorts.apply(offsets, order: state.sort(.groupPartitions), by: [
            { $0.key < $1.key },
            { ($0.lag ?? -1) < ($1.lag ?? -1) },
        ])
        let rows = offsets.map { o -> TableRow in
            TableRow(id: o.key.description, cells: [
                [Span(o.key.topic, .text)],
                [Span("\(o.key.partition)", .text)],
                [Span(o.committed.map(String.init) ?? "none", o.committed == nil ? .muted : .text)],
                [Span(o.end.map(String.init) ?? "-", o.end == nil ? .muted : .text)],
                [Span(o.lag.map(String.init) ?? "-", (o.lag ?? 0) > 0 ? .warn : (o.lag == nil ? .muted : .text))],
                memberCell(o),
                [Span(moveText(o) ?? "-", o.move == nil ? .muted : .warn)],
            ])
        }
        return TableModel(columns: columns, rows: rows,
                          emptyMessage: filter.isEmpty ? "The group has no offsets or assignments" : "No partition matches the filter")
    }

    static let columns = [
        TableColumn("Topic", width: 14, flex: 1, priority: 100),
        TableColumn("Part", width: 4, right: true, priority: 100),
        TableColumn("Committed", width: 11, right: true, priority: 90),
        TableColumn("End", width: 11, right: true, priority: 90),
        TableColumn("Lag", width: 9, right: true, priority: 95),
        TableColumn("Member", width: 14, flex: 1, priority: 60),
        TableColumn("Rebalance", width: 9, priority: 55),
    ]

    /// The holder, and for a moving partition where it goes.
    static func memberCell(_ o: GroupPartitionOffset) -> [Span] {
        guard o.move != nil else { return [Span(o.owner ?? "-", o.owner == nil ? .muted : .text)] }
        return [Span("\(o.owner ?? "-") → \(o.target ?? "?")", .warn)]
    }

    /// How far a moving partition is, in words.
    static func moveText(_ o: GroupPartitionOffset) -> String? {
        switch o.move {
        case .revoking?: return "revoking"
        case .assigning?: return "assigning"
        case nil: return nil
        }
    }

    public static func draw(_ state: AppState, group: String, into grid: inout CellGrid, rect: Rect) {
        Selection.drawTable(table(state, group: group), page: .groupDetail(group), state: state, into: &grid, rect: rect)
    }
}
