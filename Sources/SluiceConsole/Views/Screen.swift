/// Renders a whole frame from the state: a pure function from `AppState` to a `CellGrid`.
public enum Screen {
    public static func render(_ state: AppState) -> CellGrid {
        var grid = CellGrid(width: state.width, height: state.height)
        if state.isTooSmall {
            TooSmallView.draw(state, into: &grid)
            return grid
        }
        HeaderView.draw(state, into: &grid)
        TabBar.draw(state, into: &grid)
        let body = Layout.body(width: state.width, height: state.height)
        switch state.page {
        case .brokers: BrokersView.draw(state, into: &grid, rect: body)
        case .topics: TopicsView.draw(state, into: &grid, rect: body)
        case .partitions(let scope): PartitionsView.draw(state, scope: scope, into: &grid, rect: body)
        case .groups: GroupsView.draw(state, into: &grid, rect: body)
        case .groupDetail(let id): GroupDetailView.draw(state, group: id, into: &grid, rect: body)
        case .tail: TailView.draw(state, into: &grid, rect: body)
        case .messageDetail(let id): MessageDetailView.draw(state, id: id, into: &grid, rect: body)
        case .eventDetail(let id): EventDetailView.draw(state, id: id, into: &grid, rect: body)
        case .events: EventsView.draw(state, into: &grid, rect: body)
        }
        StatusLine.draw(state, into: &grid)
        FooterView.draw(state, into: &grid)
        if state.showHelp { HelpOverlay.draw(state, into: &grid) }
        if let dialog = state.dialog { dialog.draw(into: &grid, glyphs: state.glyphs) }
        if state.quitting && !state.stopProgress.isEmpty { QuitView.draw(state, into: &grid) }
        return grid
    }

    /// The ids of the rows the current page lists (what the selection moves over).
    public static func rowIDs(_ state: AppState, page: Page) -> [String] {
        switch page {
        case .brokers: BrokersView.table(state).rows.map(\.id)
        case .topics: TopicsView.table(state).rows.map(\.id)
        case .partitions(let scope): PartitionsView.table(state, scope: scope).rows.map(\.id)
        case .groups: GroupsView.table(state).rows.map(\.id)
        case .groupDetail(let id): GroupDetailView.table(state, group: id).rows.map(\.id)
        case .tail: TailView.rowIDs(state)
        case .messageDetail(let id):
            (0..<MessageDetailView.lines(state, id: id, width: state.width).count).map(String.init)
        case .events: EventsView.table(state).rows.map(\.id)
        case .eventDetail(let id): (0..<EventDetailView.lines(state, id: id, width: state.width).count).map(String.init)
        }
    }
}
