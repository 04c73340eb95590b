/// View 3: partitions with leader, leader epoch, replicas, ISR (out-of-sync replicas marked), high
/// watermark, log start, rate and size. Scoped to a topic or a broker when drilled into.
public enum PartitionsView {
    public static func table(_ state: AppState, scope: PartitionScope) -> TableModel {
        let filter = state.filter(.partitions)
        var parts = (state.snapshot?.partitions ?? []).filter { p in
            switch scope {
            case .all: true
            case .topic(let t): p.topic == t
            case .broker(let b): p.replicas.contains(b) || p.leader == b
            }
        }
        parts = parts.filter { ListSorts.matches(filter, [$0.key.description]) }
        parts = ListSorts.apply(parts, order: state.sort(.partitions), by: [
            { $0.key < $1.key },
            { $0.leader < $1.leader },
            { $0.throughput.messagesIn < $1.throughput.messagesIn },
            { ($0.highWatermark ?? -1) < ($1.highWatermark ?? -1) },
            { ($0.size ?? -1) < ($1.size ?? -1) },
        ])
        let down = state.downBrokers
        let rows = parts.map { p -> TableRow in
            TableRow(id: p.key.description, cells: [
                [Span(p.topic, .text)],
                [Span("\(p.partition)", .text)],
                leaderCell(p, down: down),
                [Span("\(p.leaderEpoch)", .text)],
                [Span(Format.ids(p.replicas), .text)],
                isrCell(p, down: down),
                offset(p.highWatermark),
                offset(p.logStartOffset),
                [Span(Format.rate(p.throughput.messagesIn), .text)],
                [Span(p.size.map(Format.bytes) ?? "-", p.size == nil ? .muted : .text)],
            ])
        }
        let columns = [
            TableColumn("Topic", width: 14, flex: 1, priority: 100),
            TableColumn("Part", width: 4, right: true, priority: 100),
            TableColumn("Leader", width: 6, right: true, priority: 95),
            TableColumn("Epoch", width: 5, right: true, priority: 60),
            TableColumn("Replicas", width: 9, priority: 80),
            TableColumn("ISR", width: 11, priority: 90),
            TableColumn("High wm", width: 10, right: true, priority: 85),
            TableColumn("Log start", width: 10, right: true, priority: 65),
            TableColumn("msg/s", width: 7, right: true, priority: 75),
            TableColumn("Size", width: 9, right: true, priority: 55),
        ]
        let empty = state.snapshot == nil ? state.waitingMessage
            : (filter.isEmpty ? "No partitions" : "No partition matches the filter")
        return TableModel(columns: columns, rows: rows, emptyMessage: empty)
    }

    public static func draw(_ state: AppState, scope: PartitionScope, into grid: inout CellGrid, rect: Rect) {
        Selection.drawTable(table(state, scope: scope), page: .partitions(scope), state: state, into: &grid, rect: rect)
    }

    /// "none" without a leader; "3 down" when the metadata names a leader the console knows is
    /// down (without a metadata quorum, nobody elects another).
    static func leaderCell(_ p: PartitionSnapshot, down: Set<Int32>) -> [Span] {
        if p.leader < 0 { return [Span("none", .error)] }
        if down.contains(p.leader) { return [Span("\(p.leader) down", .error)] }
        return [Span("\(p.leader)", .text)]
    }

    /// The live in-sync replicas in replica order; the others (out of sync, or in the ISR but
    /// down) follow, marked with "!" in the error role.
    static func isrCell(_ p: PartitionSnapshot, down: Set<Int32>) -> [Span] {
        let live = p.replicas.filter { p.isr.contains($0) && !down.contains($0) }
        let offline = p.leader < 0 || down.contains(p.leader)
        var spans = [Span(Format.ids(live), offline ? .error : .ok)]
        let out = p.replicas.filter { !live.contains($0) }
        if !out.isEmpty { spans.append(Span((live.isEmpty ? "" : " ") + out.map { "!\($0)" }.joined(separator: ","), .error)) }
        return spans
    }

    private static func offset(_ o: Int64?) -> [Span] { [Span(o.map(String.init) ?? "-", o == nil ? .muted : .text)] }
}
