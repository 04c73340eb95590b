/// While the console quits: each embedded broker's progress through its controlled shutdown.
public enum QuitView {
    public static func lines(_ state: AppState) -> [[Span]] {
        var out: [[Span]] = [[Span("Stopping the brokers (their data is kept):", .dialog)], []]
        for stop in state.stopProgress {
            let (text, role): (String, StyleRole) = {
                switch stop.phase {
                case .waiting: return ("waits for the broker-only nodes to stop", .muted)
                case .stopping: return ("controlled shutdown… \(Format.duration(stop.elapsed))", .warn)
                case .exited: return ("stopped after \(Format.duration(stop.elapsed))", .ok)
                case .killed: return ("SIGKILL after \(Format.duration(stop.elapsed)):", .error)
                case .alreadyDown: return ("was already down", .muted)
                }
            }()
            out.append([Span(TextWidth.padded("broker \(stop.id)", to: 10), .dialog), Span(text, role)])
            if case .killed(let why) = stop.phase { out.append([Span("          " + why, .error)]) }
        }
        return out
    }

    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        let width = min(76, grid.width - 4)
        let content = lines(state).flatMap { DialogBox.wrap($0, width: width - 4) }
        DialogBox.draw(title: "Quitting", lines: content, footer: "", width: width, into: &grid, glyphs: state.glyphs)
    }
}
