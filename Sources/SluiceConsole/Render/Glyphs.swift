/// The non-ASCII characters the console draws, with ASCII stand-ins for terminals whose locale is
/// not UTF-8 (ncurses would otherwise print garbage for them).
public struct Glyphs: Equatable, Sendable {
    public var sparkLevels: [Character]
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    public var separator: String
    public var ellipsisIsASCII: Bool
    public var controller: Character
    public var arrowUp: Character
    public var arrowDown: Character
    public var live: Character
    public var paused: String
    /// A null key, value or header value (never the same as the text "null").
    public var null: String
    public var isASCII: Bool

    public static let unicode = Glyphs(
        sparkLevels: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], horizontal: "─", vertical: "│",
        topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", separator: " │ ", ellipsisIsASCII: false,
        controller: "★", arrowUp: "↑", arrowDown: "↓", live: "●", paused: "❚❚", null: "∅", isASCII: false
    )

    public static let ascii = Glyphs(
        sparkLevels: [" ", ".", ".", ":", ":", "-", "=", "+", "#"], horizontal: "-", vertical: "|",
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", separator: " | ", ellipsisIsASCII: true,
        controller: "*", arrowUp: "^", arrowDown: "v", live: "*", paused: "||", null: "<null>", isASCII: true
    )
}
