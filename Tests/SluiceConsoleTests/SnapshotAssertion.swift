import Foundation
import Testing
@testable import SluiceConsole

/// Compares a rendered grid with `__Snapshots__/<name>.txt`: the text, then a role code per cell
/// and a legend naming the roles (names, not colours, so themes can change freely). A missing
/// snapshot, or RECORD_SNAPSHOTS=1, records it and fails, so a recording is never a pass.
func assertSnapshot(_ grid: CellGrid, named name: String, sourceLocation: SourceLocation = #_sourceLocation,
                    filePath: String = #filePath) {
    #expect(!grid.hasUnpaintedCells, "\(name): some cells were never painted:\n\(render(grid))", sourceLocation: sourceLocation)
    let dir = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("__Snapshots__")
    let file = dir.appendingPathComponent(name + ".txt")
    let actual = render(grid)
    let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
    if record || !FileManager.default.fileExists(atPath: file.path) {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? actual.write(to: file, atomically: true, encoding: .utf8)
        Issue.record("Recorded snapshot \(name); check it and run the tests again", sourceLocation: sourceLocation)
        return
    }
    let expected = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    if expected != actual {
        Issue.record("Snapshot \(name) differs (RECORD_SNAPSHOTS=1 re-records).\n--- expected\n\(expected)\n--- actual\n\(actual)",
                     sourceLocation: sourceLocation)
    }
}

/// The snapshot text of a grid.
func render(_ grid: CellGrid) -> String {
    var used = Set<StyleRole>()
    var text = "", roles = ""
    for y in 0..<grid.height {
        var line = "", codes = ""
        for x in 0..<grid.width {
            let cell = grid[x, y]
            used.insert(cell.role)
            codes.append(cell.role.code)
            if !cell.isContinuation { line.append(cell.character) }
        }
        text += "|" + line + "|\n"
        roles += "|" + codes + "|\n"
    }
    let legend = StyleRole.allCases.filter { used.contains($0) }.map { "\($0.code)=\($0.rawValue)" }.joined(separator: " ")
    return "# \(grid.width)x\(grid.height) roles: \(legend)\n" + text + "--- roles\n" + roles
}
