/// View 2: topics with partitions, replication factor, traffic, a 60-second trend, size and lag.
public enum TopicsView {
    /// Width of the trend sparkline.
    static let trendWidth = 16

    public static func table(_ state: AppState) -> TableModel {
        let filter = state.filter(.topics)
        var topics = (state.snapshot?.topics ?? []).filter { ListSorts.matches(filter, [$0.name]) }
        topics = ListSorts.apply(topics, order: state.sort(.topics), by: [
            { $0.name < $1.name },
            { $0.throughput.messagesIn < $1.throughput.messagesIn },
            { ($0.size ?? -1) < ($1.size ?? -1) },
            { ($0.lag ?? -1) < ($1.lag ?? -1) },
            { $0.partitions.count < $1.partitions.count },
        ])
        let down = state.downBrokers
        let rows = topics.map { t -> TableRow in
            // A leader or ISR member the console knows is down counts as gone, whatever the
            // (possibly frozen) metadata says.
            let urp = t.partitions.filter { state.isUnderReplicated($0, down: down) }.count
            let offline = t.partitions.filter { state.isOffline($0, down: down) }.count
            let health: [Span] = offline > 0 ? [Span("\(offline) offline", .error)]
                : urp > 0 ? [Span("\(urp) URP", .warn)] : [Span("ok", .ok)]
            return TableRow(id: t.name, cells: [
                [Span(t.name, t.isInternal ? .muted : .text)],
                [Span("\(t.partitions.count)", .text)],
                [Span("\(t.replicationFactor)", .text)],
                health,
                [Span(Format.rate(t.throughput.messagesIn), .text)],
                [Span(Format.megabytesPerSecond(t.throughput.bytesIn), .text)],
                [Span(Sparkline.render(t.trend.trend(buckets: trendWidth), width: trendWidth, glyphs: state.glyphs), .sparkIn)],
                [Span(t.size.map(Format.bytes) ?? "-", t.size == nil ? .muted : .text)],
                [Span(t.lag.map(Format.count) ?? "-", (t.lag ?? 0) > 0 ? .warn : (t.lag == nil ? .muted : .text))],
            ])
        }
        let columns = [
            TableColumn("Topic", width: 16, flex: 1, priority: 100),
            TableColumn("Parts", width: 5, right: true, priority: 90),
            TableColumn("RF", width: 2, right: true, priority: 85),
            TableColumn("Health", width: 10, priority: 80),
            TableColumn("msg/s", width: 7, right: true, priority: 95),
            TableColumn("MB/s", width: 6, right: true, priority: 70),
            TableColumn("Trend 60s", width: trendWidth, priority: 60),
            TableColumn("Size", width: 9, right: true, priority: 75),
            TableColumn("Lag", width: 7, right: true, priority: 78),
        ]
        let empty = state.snapshot == nil ? state.waitingMessage
            : (!filter.isEmpty ? "No topic matches the filter"
               : state.snapshot?.mayHideUnauthorized == true
                 ? "No topics this principal is authorised to describe (ACLs leave the others out; DESCRIBE on a topic shows it)"
                 : "No topics yet: press n to create one")
        return TableModel(columns: columns, rows: rows, emptyMessage: empty)
    }

    public static func draw(_ state: AppState, into grid: inout CellGrid, rect: Rect) {
        Selection.drawTable(table(state), page: .topics, state: state, into: &grid, rect: rect)
    }
}
