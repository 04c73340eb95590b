/// A field of a form: free text, or a choice among fixed options.
public struct FormField: Equatable, Sendable {
    public enum Input: Equatable, Sendable {
        case text(TextField)
        case choice([String], selected: Int)
    }

    public var label: String
    public var input: Input
    /// Said under the form while the field has the focus.
    public var hint: String

    public init(_ label: String, text: String = "", limit: Int = 1000, hint: String = "") {
        self.label = label
        self.input = .text(TextField(text, limit: limit))
        self.hint = hint
    }

    public init(_ label: String, choices: [String], selected: Int = 0, hint: String = "") {
        self.label = label
        self.input = .choice(choices, selected: selected)
        self.hint = hint
    }

    public var value: String {
        switch input {
        case .text(let f): f.text
        case .choice(let options, let i): options[i]
        }
    }
}

/// What a key did to a form.
public enum FormOutcome: Equatable, Sendable {
    case edited, submit, cancel
}

/// A dialog form: fields, focus, the last error (validation or the broker's), and whether a
/// request is in flight. Keys: Tab/↓ next field, Shift-Tab/↑ previous, ←/→/Space change a
/// choice, Enter submits, Esc cancels.
public struct Form: Equatable, Sendable {
    public var title: String
    public var fields: [FormField]
    public var focus = 0
    public var error: String?
    /// A request is in flight; keys other than Esc are ignored until its answer arrives.
    public var pending = false

    public init(title: String, fields: [FormField]) {
        self.title = title
        self.fields = fields
    }

    public func value(_ label: String) -> String { fields.first { $0.label == label }?.value ?? "" }

    public mutating func handle(_ key: Key) -> FormOutcome {
        if key == .escape { return .cancel }
        if pending { return .edited }
        switch key {
        case .enter: return .submit
        case .tab, .down: focus = (focus + 1) % fields.count
        case .backTab, .up: focus = (focus + fields.count - 1) % fields.count
        default:
            switch fields[focus].input {
            case .text(var field):
                if field.handle(key) {
                    fields[focus].input = .text(field)
                    error = nil
                }
            case .choice(let options, let selected):
                if key == .right || key == .char(" ") {
                    fields[focus].input = .choice(options, selected: (selected + 1) % options.count)
                } else if key == .left {
                    fields[focus].input = .choice(options, selected: (selected + options.count - 1) % options.count)
                }
            }
        }
        return .edited
    }

    /// The form's lines for a dialog box `width` columns wide (inside the frame).
    public func lines(width: Int) -> [[Span]] {
        let labelWidth = (fields.map { TextWidth.columns(of: $0.label) }.max() ?? 0) + 2
        let fieldWidth = max(4, width - labelWidth - 2)
        var out: [[Span]] = []
        for (i, f) in fields.enumerated() {
            let focused = i == focus
            var line = [Span(TextWidth.padded(f.label, to: labelWidth), focused ? .dialogBorder : .dialog)]
            switch f.input {
            case .text(let field):
                line += field.spans(width: fieldWidth, role: focused ? .fieldFocus : .field, cursorRole: .selection,
                                    showCursor: focused && !pending)
            case .choice(let options, let selected):
                let text = "‹ " + options[selected] + " ›"
                line.append(Span(TextWidth.padded(text, to: fieldWidth), focused ? .fieldFocus : .field))
            }
            out.append(line)
        }
        out.append([])
        if pending {
            out.append([Span("Waiting for the cluster…", .warn)])
        } else if let error {
            out.append([Span(error, .error)])
        } else {
            out.append([Span(fields[focus].hint, .muted)])
        }
        return out
    }
}
