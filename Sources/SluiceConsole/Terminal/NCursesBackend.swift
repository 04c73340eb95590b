import CNCurses
import Glibc

/// The only code that talks to ncurses. It draws a `CellGrid` by writing just the cells that changed
/// since the previous frame (no `erase()`), then one `doupdate()`; it reads keys without blocking,
/// and maps theme roles to colour pairs or attributes for the terminal's capability.
/// Used from the console's UI thread only.
final class NCursesBackend {
    /// What the terminal can show, known after `start()`.
    private(set) var capability: ColorCapability = .none
    /// Whether the locale is UTF-8 (otherwise the views use ASCII glyphs).
    let unicode: Bool
    private let colorAllowed: Bool
    private var previous: CellGrid?
    private var styles: [StyleRole: (attrs: attr_t, pair: Int32)] = [:]
    private var started = false

    /// Sets the locale (for UTF-8) and starts curses. `colorAllowed` is false under NO_COLOR.
    init(colorAllowed: Bool) {
        setlocale(LC_ALL, "")
        unicode = sluice_locale_is_utf8() != 0
        self.colorAllowed = colorAllowed
        initscr()
        started = true
        raw()
        noecho()
        nonl()
        keypad(sluice_stdscr(), true)
        nodelay(sluice_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        if colorAllowed && has_colors() {
            start_color()
            use_default_colors()
            capability = ColorCapability(colors: Int(sluice_colors()))
        }
    }

    /// Colours are available (the terminal has them and NO_COLOR is not set).
    var hasColor: Bool { capability != .none }

    var size: (width: Int, height: Int) {
        var y: Int32 = 0, x: Int32 = 0
        sluice_getmaxyx(sluice_stdscr(), &y, &x)
        return (Int(x), Int(y))
    }

    /// Uses `theme` from the next frame on (all cells are redrawn). A monochrome theme, or a
    /// terminal without colours, uses attributes only.
    func apply(_ theme: Theme) {
        styles = [:]
        var pairs: [[Int]: Int32] = [:]
        let pairLimit = Int(sluice_color_pairs())
        for role in StyleRole.allCases {
            let style = theme.style(role)
            if theme.isMonochrome || !hasColor {
                styles[role] = (attributes(style.attributes), 0)
                continue
            }
            let fg = ColorMapper.index(style.foreground, capability: capability)
            var bg = ColorMapper.index(style.background, capability: capability)
            // Same foreground and background after mapping to few colours would hide the text.
            if fg == bg && fg >= 0 { bg = -1 }
            let key = [fg, bg]
            if pairs[key] == nil, pairs.count + 1 < pairLimit {
                let n = Int32(pairs.count + 1)
                init_pair(Int16(n), Int16(fg), Int16(bg))
                pairs[key] = n
            }
            styles[role] = (0, pairs[key] ?? 0)
        }
        let text = styles[.text] ?? (0, 0)
        sluice_set_background(text.attrs, text.pair)
        previous = nil
    }

    /// The next frame will redraw every cell (after a resize, or when the screen may be garbled).
    func invalidate() {
        previous = nil
        clearok(sluice_stdscr(), true)
    }

    /// Draws the cells that differ from the last frame and updates the terminal once.
    func draw(_ grid: CellGrid) {
        let old = previous.flatMap { $0.width == grid.width && $0.height == grid.height ? $0 : nil }
        var buffer = [wchar_t](repeating: 0, count: 6)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if cell.isContinuation { continue }
                if let old, old[x, y] == cell { continue }
                let style = styles[cell.role] ?? (0, 0)
                var n = 0
                for scalar in cell.character.unicodeScalars where n < 5 {
                    buffer[n] = wchar_t(bitPattern: scalar.value)
                    n += 1
                }
                buffer[n] = 0
                _ = sluice_put_cell(Int32(y), Int32(x), buffer, style.attrs, style.pair)
            }
        }
        wnoutrefresh(sluice_stdscr())
        doupdate()
        previous = grid
    }

    /// Keys typed since the last call, and whether the terminal was resized.
    func readInput() -> (keys: [Key], resized: Bool) {
        var keys: [Key] = []
        var resized = false
        var ch: wint_t = 0
        while true {
            let r = wget_wch(sluice_stdscr(), &ch)
            if r == ERR { break }
            if r == KEY_CODE_YES {
                if Int32(ch) == KEY_RESIZE { resized = true } else if let k = Self.functionKey(Int32(ch)) { keys.append(k) }
            } else if let k = Self.characterKey(UInt32(ch)) {
                keys.append(k)
            }
        }
        return (keys, resized)
    }

    /// Restores the terminal. Safe to call twice.
    func stop() {
        guard started else { return }
        started = false
        endwin()
    }

    private func attributes(_ set: Set<TextAttribute>) -> attr_t {
        var a = sluice_a_normal()
        for attr in set {
            switch attr {
            case .bold: a |= sluice_a_bold()
            case .dim: a |= sluice_a_dim()
            case .reverse: a |= sluice_a_reverse()
            case .underline: a |= sluice_a_underline()
            case .standout: a |= sluice_a_standout()
            }
        }
        return a
    }

    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_BTAB: .backTab
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_ENTER: .enter
        case (KEY_F0 + 1)...(KEY_F0 + 12): .function(Int(code - KEY_F0))
        default: nil
        }
    }

    static func characterKey(_ value: UInt32) -> Key? {
        switch value {
        case 13, 10: return .enter
        case 9: return .tab
        case 27: return .escape
        case 127, 8: return .backspace
        case 1...26: return .ctrl(Character(UnicodeScalar(value + 96)!))
        case 0..<32: return nil
        default: return UnicodeScalar(value).map { .char(Character($0)) }
        }
    }
}
