/// The line above the footer: the active prompt, or the outcome of the last action, or the poll's
/// trouble; on the right, the theme.
public enum StatusLine {
    /// Seconds a status message stays.
    public static let lifetime: Double = 10

    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let rect = Layout.status(width: grid.width, height: grid.height)
        if let prompt = state.prompt {
            prompt.draw(into: &grid, rect: rect)
            return
        }
        grid.fill(rect, role: .status)
        let ruler = grid.ruler.map { "\($0)  " } ?? ""
        let right = " \(ruler)theme \(state.themeName)\(state.colorEnabled ? "" : " (no colour)") "
        let rightWidth = TextWidth.columns(of: right)
        grid.put(right, x: rect.maxX - rightWidth, y: rect.y, role: .status)
        let room = rect.width - rightWidth - 2
        if let status = state.status, state.monotonicNow - status.at < lifetime {
            grid.put(TextWidth.truncated(status.text, to: room), x: 1, y: rect.y, role: status.isError ? .statusError : .status)
        } else if let error = state.pollError {
            let text = state.snapshot == nil ? "No answer: \(error)" : "Last poll failed: \(error)"
            grid.put(TextWidth.truncated(text, to: room), x: 1, y: rect.y, role: .statusError)
        } else if let problem = state.snapshot?.lastingErrors.first {
            grid.put(TextWidth.truncated(problem, to: room), x: 1, y: rect.y, role: .statusError)
        } else if state.demoLoad, let trouble = state.demoLoadTrouble {
            grid.put(TextWidth.truncated("Demo load retrying: \(trouble)", to: room), x: 1, y: rect.y, role: .statusError)
        }
    }
}
