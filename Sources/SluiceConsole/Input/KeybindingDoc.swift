import Foundation

/// The README's keybinding table, generated from the key table (a test keeps the README fresh:
/// `UPDATE_GENERATED=1 swift test --filter GeneratedFiles` rewrites it).
public enum KeybindingDoc {
    public static let begin = "<!-- keybindings: generated from KeyTable by KeybindingDoc; do not edit -->"
    public static let end = "<!-- end of keybindings -->"

    /// A Markdown table: keys, where they work, what they do.
    public static func markdown() -> String {
        var lines = ["| Keys | Where | Action |", "| --- | --- | --- |"]
        let order: [KeyScope] = [.everywhere, .lists, .brokers, .topics, .tail]
        for scope in order {
            for b in KeyTable.bindings where b.scope == scope {
                var note = b.help
                if b.dangerous { note += " — asks for confirmation (default No)" }
                if b.embeddedOnly { note += " — embedded cluster only" }
                let keys = b.keys.map { "`\($0.label)`" }.joined(separator: " ")
                lines.append("| \(b.keyLabelOverride.map { "`\($0)`" } ?? keys) | \(scope.rawValue) | \(escape(note)) |")
            }
        }
        lines.append("")
        lines.append("Dialogs: `Tab`/`↓` next field, `Shift-Tab`/`↑` previous, `←`/`→`/`Space` change a choice, "
                     + "`Enter` submits, `Esc` cancels. Prompts (`/`, `:`, seek): `Enter` applies, `Esc` cancels.")
        lines.append("")
        lines.append("Commands at the `:` prompt:")
        lines.append("")
        for (usage, what) in Commands.help { lines.append("- `:\(usage)` — \(what)") }
        return lines.joined(separator: "\n")
    }

    /// `readme` with the text between the markers replaced by the current table.
    public static func updating(_ readme: String) -> String? {
        guard let start = readme.range(of: begin), let stop = readme.range(of: end), start.upperBound <= stop.lowerBound else {
            return nil
        }
        return String(readme[..<start.upperBound]) + "\n" + markdown() + "\n" + String(readme[stop.lowerBound...])
    }

    private static func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
