/// View 1: every broker with its state, role, load, traffic, disk use, round-trip, the clients it
/// throttles (client quotas; Sluice brokers with a metrics endpoint) and, for embedded brokers, the
/// process's memory and CPU.
public enum BrokersView {
    public static func table(_ state: AppState) -> TableModel {
        let snap = state.snapshot
        struct Item {
            var id: Int32
            var broker: BrokerSnapshot?
            var process: BrokerProcess?
            var state: BrokerState
        }
        var items = state.brokerIDs.map { id in
            Item(id: id, broker: snap?.broker(id), process: state.processes[id], state: state.brokerState(id))
        }
        let filter = state.filter(.brokers)
        items = items.filter { item in
            ListSorts.matches(filter, ["\(item.id)", item.broker?.address ?? "", item.state.rawValue])
        }
        items = ListSorts.apply(items, order: state.sort(.brokers), by: [
            { $0.id < $1.id },
            { $0.state.rawValue < $1.state.rawValue },
            { ($0.broker?.leaderCount ?? 0) < ($1.broker?.leaderCount ?? 0) },
            { ($0.broker?.throughput.messagesIn ?? 0) < ($1.broker?.throughput.messagesIn ?? 0) },
            { ($0.broker?.logSize ?? -1) < ($1.broker?.logSize ?? -1) },
            { rtt($0.broker) < rtt($1.broker) },
        ])
        let controllerID = state.activeControllerID
        // Brokers' own produce/fetch p99 from their /metrics (embedded clusters); elsewhere RTT,
        // the round-trip the console measures, is what there is.
        let showsServerLatency = snap?.brokers.contains { $0.serverLatency != nil } ?? false
        // Client quotas: the clients a broker is holding back, when any is.
        let showsThrottled = snap?.brokers.contains { !$0.throttledClients.isEmpty } ?? false
        let rows = items.map { item -> TableRow in
            let b = item.broker
            let live = item.state == .up || item.state == .slow
            let address = b?.address ?? item.process.map { "127.0.0.1:\($0.port)" } ?? "?"
            // The controller the console believes in: none without a quorum, never a broker that is down.
            let isController = controllerID == item.id && live
            var cells: [[Span]] = [
                [Span("\(item.id)", .text)],
                [Span(address, .text)],
                [Span(item.state.rawValue, role(item.state))],
                [Span(isController ? String(state.glyphs.controller) : "", .accent)],
                number(live ? b?.leaderCount : nil),
                number(live ? b?.replicaCount : nil),
                [Span(live ? Format.count(Int64(b?.underReplicatedCount ?? 0)) : "-",
                      (b?.underReplicatedCount ?? 0) > 0 ? .warn : (live ? .text : .muted))],
                [Span(live ? Format.rate(b?.throughput.messagesIn ?? 0) : "-", live ? .text : .muted)],
                [Span(live ? Format.rate(b?.throughput.messagesOut ?? 0) : "-", live ? .text : .muted)],
                [Span(live ? Format.megabytesPerSecond(b?.throughput.bytesIn ?? 0) : "-", live ? .text : .muted)],
                [Span(live ? Format.megabytesPerSecond(b?.throughput.bytesOut ?? 0) : "-", live ? .text : .muted)],
                // A broker that is down has no disk use or round-trip now, whatever the last poll said.
                [Span(item.state == .down ? "-" : b?.logSize.map(Format.bytes) ?? "-",
                      item.state == .down || b?.logSize == nil ? .muted : .text)],
                item.state == .down ? [Span("-", .muted)] : probeCell(b?.probe, live: live || item.state == .fenced),
            ]
            if showsServerLatency {
                cells.append(latencyCell(live ? b?.produceP99Ms : nil))
                cells.append(latencyCell(live ? b?.fetchP99Ms : nil))
            }
            if showsThrottled { cells.append(throttledCell(live ? b?.throttledClients ?? [] : [])) }
            if state.mode.isEmbedded {
                let running = item.process?.isRunning ?? false
                cells.append([Span(running ? item.process?.rssBytes.map(Format.bytes) ?? "-" : "-", running ? .text : .muted)])
                cells.append([Span(running ? item.process?.cpuPercent.map(Format.percent) ?? "-" : "-", running ? .text : .muted)])
            }
            return TableRow(id: "\(item.id)", cells: cells)
        }
        var columns = [
            TableColumn("ID", width: 4, right: true, priority: 100),
            TableColumn("Address", width: 15, flex: 1, priority: 90),
            TableColumn("State", width: 8, priority: 95),
            TableColumn("Ctl", width: 3, priority: 80),
            TableColumn("Lead", width: 5, right: true, priority: 70),
            TableColumn("Repl", width: 5, right: true, priority: 60),
            TableColumn("URP", width: 4, right: true, priority: 65),
            TableColumn("In/s", width: 7, right: true, priority: 75),
            TableColumn("Out/s", width: 7, right: true, priority: 55),
            TableColumn("InMB/s", width: 6, right: true, priority: 30),
            TableColumn("OutMB/s", width: 7, right: true, priority: 20),
            TableColumn("Log", width: 8, right: true, priority: 50),
            TableColumn("RTT", width: 6, right: true, priority: 45),
        ]
        if showsServerLatency {
            columns.append(TableColumn("P99prod", width: 7, right: true, priority: 44))
            columns.append(TableColumn("P99fetch", width: 8, right: true, priority: 43))
        }
        if showsThrottled { columns.append(TableColumn("Throttled", width: 18, flex: 1, priority: 42)) }
        if state.mode.isEmbedded {
            columns.append(TableColumn("RSS", width: 8, right: true, priority: 40))
            columns.append(TableColumn("CPU", width: 6, right: true, priority: 35))
        }
        let empty = snap == nil ? state.waitingMessage : (filter.isEmpty ? "No brokers" : "No broker matches the filter")
        return TableModel(columns: columns, rows: rows, emptyMessage: empty)
    }

    public static func draw(_ state: AppState, into grid: inout CellGrid, rect: Rect) {
        Selection.drawTable(table(state), page: .brokers, state: state, into: &grid, rect: rect)
    }

    static func role(_ s: BrokerState) -> StyleRole {
        switch s {
        case .up: .ok
        case .down: .error
        case .starting, .fenced, .slow, .stopping: .warn
        }
    }

    private static func number(_ n: Int?) -> [Span] { [Span(n.map { "\($0)" } ?? "-", n == nil ? .muted : .text)] }

    private static func probeCell(_ probe: BrokerProbe?, live: Bool) -> [Span] {
        switch probe {
        case .answered(let rtt)?: [Span(Format.duration(rtt), .text)]
        case .timedOut?: [Span("timeout", .warn)]
        case .failed?: [Span(live ? "error" : "-", live ? .error : .muted)]
        case nil: [Span("-", .muted)]
        }
    }

    /// A server-side p99 in ms ("-" when no request was served since the last poll).
    private static func latencyCell(_ ms: Double?) -> [Span] {
        guard let ms else { return [Span("-", .muted)] }
        return [Span(Format.duration(ms / 1000), .text)]
    }

    /// The most throttled client (and how many more): `loader 870ms/s +1`.
    static func throttledCell(_ clients: [ThrottledClient]) -> [Span] {
        guard let top = clients.first else { return [Span("-", .muted)] }
        let more = clients.count > 1 ? " +\(clients.count - 1)" : ""
        return [Span("\(top.key.entity) \(Int(top.msPerSecond.rounded()))ms/s\(more)", .warn)]
    }

    private static func rtt(_ b: BrokerSnapshot?) -> Double {
        if case .answered(let rtt)? = b?.probe { return rtt }
        return .infinity
    }
}
