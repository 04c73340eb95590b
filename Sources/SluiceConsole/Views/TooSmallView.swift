import Foundation

/// Shown instead of everything else when the terminal is smaller than 80×24.
public enum TooSmallView {
    public static func draw(_ state: AppState, into grid: inout CellGrid) {
        grid.fill(grid.bounds, role: .text)
        let lines: [(String, StyleRole)] = [
            ("Terminal too small", .warn),
            ("\(grid.width)×\(grid.height); Sluice needs at least \(AppState.minimumWidth)×\(AppState.minimumHeight)", .text),
            ("Enlarge the window, or press q to quit", .muted),
        ]
        let top = max(0, (grid.height - lines.count) / 2)
        for (n, (text, role)) in lines.enumerated() where top + n < grid.height {
            let t = TextWidth.truncated(state.unicode ? text : text.replacingOccurrences(of: "×", with: "x"), to: grid.width)
            grid.put(t, x: max(0, (grid.width - TextWidth.columns(of: t)) / 2), y: top + n, role: role)
        }
    }
}
