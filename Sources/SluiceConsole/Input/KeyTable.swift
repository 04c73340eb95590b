/// Everything a key can do outside a dialog or prompt.
public enum Action: Hashable, Sendable {
    case quit, help
    case showViewByNumber, nextView, previousView
    case moveUp, moveDown, pageUp, pageDown, top, bottom
    case drillDown, back, filter, commandPrompt
    case newTopic, deleteTopic, killBroker, restartBroker, addBroker
    case tail, produce, toggleDemoLoad, sortNext, sortReverse, cycleTheme
    case refreshFaster, refreshSlower
    case pauseTail, toggleFollow, seekBeginning, seekEnd, seekOffset, seekTimestamp
}

/// Where a binding applies. A page matches its own scope, then `lists` (if it is a list), then
/// `everywhere`; the first binding found for a key wins.
public enum KeyScope: String, Sendable, CaseIterable {
    case brokers = "Brokers"
    case topics = "Topics"
    case tail = "Tail"
    case lists = "Lists"
    case everywhere = "Everywhere"
}

/// One row of the key table.
public struct KeyBinding: Sendable {
    public let action: Action
    public let keys: [Key]
    public let scope: KeyScope
    /// The word shown in the footer next to the key.
    public let hint: String
    /// The sentence shown in the `?` overlay and the README.
    public let help: String
    /// Footer order (lower first); nil keeps the binding out of the footer.
    public let footer: Int?
    /// Destructive: asks for confirmation, and the confirmation defaults to No.
    public let dangerous: Bool
    /// Needs the embedded cluster's processes; unavailable (and says so) against a remote cluster.
    public let embeddedOnly: Bool
    /// Written instead of the joined key labels (e.g. "1-6").
    public let keyLabelOverride: String?

    init(
        _ action: Action, _ keys: [Key], _ scope: KeyScope, hint: String, help: String, footer: Int? = nil,
        dangerous: Bool = false, embeddedOnly: Bool = false, keyLabel: String? = nil
    ) {
        self.action = action
        self.keys = keys
        self.scope = scope
        self.hint = hint
        self.help = help
        self.footer = footer
        self.dangerous = dangerous
        self.embeddedOnly = embeddedOnly
        self.keyLabelOverride = keyLabel
    }

    /// "↑/k", "Ctrl-D", "1-6".
    public var keyLabel: String { keyLabelOverride ?? keys.map(\.label).joined(separator: "/") }

    /// The short form for the footer: the first key only ("↑" rather than "↑/k").
    public var footerKeyLabel: String { keyLabelOverride ?? keys[0].label }
}

/// The single source of key bindings: the reducer dispatches through it, and the footer, the `?`
/// overlay and the README's keybinding table are generated from it.
public enum KeyTable {
    public static let bindings: [KeyBinding] = [
        // Navigation
        KeyBinding(.showViewByNumber, (1...6).map { .char(Character("\($0)")) }, .everywhere, hint: "views",
                   help: "Show a view: 1 Brokers, 2 Topics, 3 Partitions, 4 Groups, 5 Tail, 6 Events", footer: 10,
                   keyLabel: "1-6"),
        KeyBinding(.nextView, [.tab], .everywhere, hint: "next view", help: "Next view"),
        KeyBinding(.previousView, [.backTab], .everywhere, hint: "previous view", help: "Previous view"),
        KeyBinding(.moveUp, [.up, .char("k")], .lists, hint: "up", help: "Move the selection up"),
        KeyBinding(.moveDown, [.down, .char("j")], .lists, hint: "down", help: "Move the selection down"),
        KeyBinding(.pageUp, [.pageUp, .ctrl("b")], .lists, hint: "page up", help: "One page up"),
        KeyBinding(.pageDown, [.pageDown, .ctrl("f")], .lists, hint: "page down", help: "One page down"),
        KeyBinding(.top, [.home, .char("g")], .lists, hint: "top", help: "First row"),
        KeyBinding(.bottom, [.end, .char("G")], .lists, hint: "bottom", help: "Last row"),
        KeyBinding(.drillDown, [.enter], .lists, hint: "open",
                   help: "Drill down: a broker's or topic's partitions, a group's offsets, a message's detail, an event in full", footer: 20),
        KeyBinding(.back, [.escape], .everywhere, hint: "back", help: "Go back (close a drill-down, clear a filter)"),
        KeyBinding(.filter, [.char("/")], .lists, hint: "filter",
                   help: "Filter rows by substring; in Tail: [key:|value:|headers:][re:]TEXT", footer: 30),
        KeyBinding(.commandPrompt, [.char(":")], .everywhere, hint: "command",
                   help: "Command prompt (the commands are listed with the keys)"),
        KeyBinding(.sortNext, [.char("s")], .lists, hint: "sort", help: "Sort by the next column"),
        KeyBinding(.sortReverse, [.char("S")], .lists, hint: "reverse", help: "Reverse the sort order"),

        // Brokers
        KeyBinding(.killBroker, [.char("x")], .brokers, hint: "kill", help: "Kill the selected broker (SIGKILL, a real crash)",
                   footer: 40, dangerous: true, embeddedOnly: true),
        KeyBinding(.restartBroker, [.char("r")], .brokers, hint: "restart",
                   help: "Restart the selected broker on its data: a down one starts at once, a running one stops first",
                   footer: 41, dangerous: true, embeddedOnly: true),
        KeyBinding(.addBroker, [.char("a")], .brokers, hint: "add broker", help: "Add a broker to the embedded cluster",
                   footer: 42, embeddedOnly: true),

        // Topics
        KeyBinding(.deleteTopic, [.ctrl("d")], .topics, hint: "delete", help: "Delete the selected topic (type its name to confirm)",
                   footer: 45, dangerous: true),
        KeyBinding(.tail, [.char("t")], .everywhere, hint: "tail",
                   help: "Tail the selected topic or partition (elsewhere: the last tailed topic)", footer: 50),
        KeyBinding(.newTopic, [.char("n")], .everywhere, hint: "new topic", help: "Create a topic", footer: 55),
        KeyBinding(.produce, [.char("p")], .everywhere, hint: "produce", help: "Produce a message", footer: 60),

        // Tail
        KeyBinding(.pauseTail, [.char(" ")], .tail, hint: "pause", help: "Pause or resume the tail", footer: 21),
        KeyBinding(.toggleFollow, [.char("f")], .tail, hint: "follow", help: "Autoscroll to new messages on or off", footer: 22),
        KeyBinding(.seekBeginning, [.char("b")], .tail, hint: "beginning", help: "Seek to the beginning", footer: 23),
        KeyBinding(.seekEnd, [.char("e")], .tail, hint: "end", help: "Seek to the end (only new messages)", footer: 24),
        KeyBinding(.seekOffset, [.char("o")], .tail, hint: "offset", help: "Seek to an offset", footer: 25),
        KeyBinding(.seekTimestamp, [.char("@")], .tail, hint: "time",
                   help: "Seek to a time (2024-05-01T12:00:00, -5m, or epoch milliseconds)", footer: 26),

        // Everywhere
        KeyBinding(.toggleDemoLoad, [.char("l")], .everywhere, hint: "demo load",
                   help: "Start or stop the demo load (a producer and a consumer group on topic sluice-demo)", footer: 65),
        KeyBinding(.cycleTheme, [.char("T")], .everywhere, hint: "theme", help: "Next colour theme", footer: 70),
        KeyBinding(.refreshFaster, [.char("+")], .everywhere, hint: "faster", help: "Refresh more often"),
        KeyBinding(.refreshSlower, [.char("-")], .everywhere, hint: "slower", help: "Refresh less often"),
        KeyBinding(.help, [.char("?")], .everywhere, hint: "help", help: "Show or hide this help", footer: 5),
        KeyBinding(.quit, [.char("q"), .ctrl("c")], .everywhere, hint: "quit",
                   help: "Quit (embedded brokers stop cleanly; their data is kept)", footer: 99),
    ]

    /// The binding for `key` on a page whose scopes are `scopes` (most specific first).
    public static func binding(for key: Key, scopes: [KeyScope]) -> KeyBinding? {
        for scope in scopes {
            if let b = bindings.first(where: { $0.scope == scope && $0.keys.contains(key) }) { return b }
        }
        return nil
    }

    /// The bindings that apply on a page, most specific first, without shadowed duplicates.
    public static func active(scopes: [KeyScope], embedded: Bool) -> [KeyBinding] {
        var seen = Set<Key>()
        var out: [KeyBinding] = []
        for scope in scopes {
            for b in bindings where b.scope == scope && (embedded || !b.embeddedOnly) {
                if b.keys.allSatisfy({ seen.contains($0) }) { continue }
                seen.formUnion(b.keys)
                out.append(b)
            }
        }
        return out
    }
}
