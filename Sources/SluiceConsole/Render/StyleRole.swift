/// What a cell means, not how it looks: views paint roles, a theme maps each role to colours (or to
/// attributes on a monochrome terminal). Snapshot tests store role names, so changing a theme never
/// breaks them.
public enum StyleRole: String, CaseIterable, Sendable, Hashable {
    /// Ordinary text on the screen's background.
    case text
    /// Secondary text: units, separators, hints, missing values.
    case muted
    /// The two header lines.
    case header
    /// Values inside the header (cluster id, counts).
    case headerValue = "header-value"
    /// The tab bar.
    case tab
    /// The tab of the current view.
    case tabActive = "tab-active"
    /// Column titles of a table.
    case columnHeader = "column-header"
    /// The selected row.
    case selection
    /// Healthy states (broker up, group stable).
    case ok
    /// States that need attention (starting, under-replicated, rebalancing).
    case warn
    /// Failures (broker down, offline partitions, errors).
    case error
    /// Emphasis (the controller, a highlighted key).
    case accent
    /// Sparkline of incoming traffic.
    case sparkIn = "spark-in"
    /// Sparkline of outgoing traffic (and lag trends).
    case sparkOut = "spark-out"
    /// The footer line of key hints.
    case footer
    /// The key names inside the footer.
    case footerKey = "footer-key"
    /// The status line (results of actions).
    case status
    /// The status line when it reports an error.
    case statusError = "status-error"
    /// Inside a dialog box.
    case dialog
    /// A dialog's frame and title.
    case dialogBorder = "dialog-border"
    /// An input field of a dialog.
    case field
    /// The input field that has the focus.
    case fieldFocus = "field-focus"
    /// JSON object keys in the message detail view.
    case jsonKey = "json-key"
    /// JSON strings.
    case jsonString = "json-string"
    /// JSON numbers.
    case jsonNumber = "json-number"
    /// JSON true, false and null.
    case jsonLiteral = "json-literal"
    /// Text that matched the current filter.
    case match
    /// Never painted by a view: the grid is pre-filled with it so tests catch unpainted cells.
    case unpainted

    /// The roles a theme must define (every role a view may paint).
    public static var themeRoles: [StyleRole] { allCases.filter { $0 != .unpainted } }

    /// A one-character code for snapshot files; the snapshot's legend maps codes back to names.
    public var code: Character {
        switch self {
        case .text: "."
        case .muted: "m"
        case .header: "H"
        case .headerValue: "V"
        case .tab: "t"
        case .tabActive: "T"
        case .columnHeader: "C"
        case .selection: "S"
        case .ok: "o"
        case .warn: "w"
        case .error: "e"
        case .accent: "a"
        case .sparkIn: "i"
        case .sparkOut: "u"
        case .footer: "f"
        case .footerKey: "F"
        case .status: "s"
        case .statusError: "E"
        case .dialog: "d"
        case .dialogBorder: "D"
        case .field: "x"
        case .fieldFocus: "X"
        case .jsonKey: "k"
        case .jsonString: "q"
        case .jsonNumber: "n"
        case .jsonLiteral: "l"
        case .match: "M"
        case .unpainted: "?"
        }
    }
}
