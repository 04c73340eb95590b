/// View 4: consumer groups with their type (classic, or consumer for KIP-848), state, members,
/// assignor, total lag and its trend. A consumer group moving partitions shows how many are being
/// revoked and assigned after its state ("Reconciling -2 +2"); Enter shows which.
public enum GroupsView {
    static let trendWidth = 16

    public static func table(_ state: AppState) -> TableModel {
        let filter = state.filter(.groups)
        var groups = (state.snapshot?.groups ?? []).filter { ListSorts.matches(filter, [$0.id, $0.state, $0.type]) }
        groups = ListSorts.apply(groups, order: state.sort(.groups), by: [
            { $0.id < $1.id },
            { ($0.totalLag ?? -1) < ($1.totalLag ?? -1) },
            { $0.members.count < $1.members.count },
            { $0.state < $1.state },
        ])
        let rows = groups.map { g -> TableRow in
            TableRow(id: g.id, cells: [
                [Span(g.id, .text)],
                [Span(g.type.isEmpty ? "-" : g.type, g.type.isEmpty ? .muted : .text)],
                [Span(stateText(g), g.stale == nil ? stateRole(g.state) : .warn)],
                [Span("\(g.members.count)", .text)],
                [Span(g.assignor.isEmpty ? "-" : g.assignor, g.assignor.isEmpty ? .muted : .text)],
                [Span(g.topics.joined(separator: ","), .text)],
                [Span(Format.rate(g.messagesPerSecond), .text)],
                [Span(g.totalLag.map(Format.count) ?? "-",
                      g.stale != nil || g.totalLag == nil ? .muted : (g.totalLag ?? 0) > 0 ? .warn : .text)],
                [Span(Sparkline.render(g.lagTrend.trend(buckets: trendWidth), width: trendWidth, glyphs: state.glyphs), .sparkOut)],
            ])
        }
        let columns = [
            TableColumn("Group", width: 16, flex: 1, priority: 100),
            TableColumn("Type", width: 8, priority: 85),
            TableColumn("State", width: 19, priority: 95),
            TableColumn("Members", width: 7, right: true, priority: 90),
            TableColumn("Assignor", width: 10, priority: 60),
            TableColumn("Topics", width: 12, flex: 1, priority: 50),
            TableColumn("msg/s", width: 7, right: true, priority: 70),
            TableColumn("Lag", width: 8, right: true, priority: 92),
            TableColumn("Lag trend 60s", width: trendWidth, priority: 80),
        ]
        let empty = state.snapshot == nil ? state.waitingMessage
            : state.snapshot?.groupsError.map { "Groups are unavailable: \($0)" }
            ?? state.snapshot?.groupsUnlisted.map { "Groups could not be listed: \($0) (retrying)" }
            ?? (!filter.isEmpty ? "No group matches the filter"
                : state.snapshot?.mayHideUnauthorized == true
                  ? "No groups this principal is authorised to describe (ACLs leave the others out; DESCRIBE on a group shows it)"
                  : "No consumer groups (press l for the demo load)")
        return TableModel(columns: columns, rows: rows, emptyMessage: empty)
    }

    public static func draw(_ state: AppState, into grid: inout CellGrid, rect: Rect) {
        Selection.drawTable(table(state), page: .groups, state: state, into: &grid, rect: rect)
    }

    /// The group's state; for a group the last poll could not describe, why its figures are old
    /// ("loading" while its coordinator loads the groups after a broker start).
    static func stateText(_ g: GroupSnapshot) -> String {
        switch g.stale {
        case nil:
            let (revoking, assigning) = (g.revoking.count, g.assigning.count)
            guard revoking + assigning > 0 else { return g.state }
            return g.state + (revoking > 0 ? " -\(revoking)" : "") + (assigning > 0 ? " +\(assigning)" : "")
        case GroupSnapshot.coordinatorLoading?: return "loading"
        case GroupSnapshot.notListed?: return "not listed"
        default: return "no answer"
        }
    }

    static func stateRole(_ state: String) -> StyleRole {
        switch state {
        case "Stable": .ok
        case "Empty": .muted
        case "Dead": .error
        default: .warn
        }
    }
}
