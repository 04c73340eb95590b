/// Terminal column widths of text, computed without the C library's `wcwidth` so that the result does
/// not depend on the process's locale (tests run under the C locale, the console under UTF-8).
public enum TextWidth {
    /// Columns a character occupies: 0 for combining marks and format characters, 2 for East Asian
    /// wide and fullwidth characters and emoji, 1 otherwise. Control characters count as 1 because
    /// `sanitized` replaces them before drawing.
    public static func columns(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if first.value < 0x7F { return 1 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        return isWide(first.value) ? 2 : 1
    }

    /// Columns a string occupies.
    public static func columns(of text: some StringProtocol) -> Int {
        var total = 0
        for character in text { total += columns(of: character) }
        return total
    }

    /// Replaces characters a terminal would interpret (C0 and C1 controls, DEL) so that untrusted
    /// text, such as message keys and values, cannot move the cursor or change colours.
    public static func sanitized(_ text: some StringProtocol, ascii: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            guard let scalar = character.unicodeScalars.first else { continue }
            switch scalar.value {
            case 0x0A: out.append(ascii ? "|" : "↵")
            case 0x09: out.append(" ")
            case 0x00..<0x20, 0x7F..<0xA0: out.append(ascii ? "." : "·")
            default:
                if ascii && scalar.value >= 0x80 { out.append("?") } else { out.append(character) }
            }
        }
        return out
    }

    /// The longest prefix of `text` that fits in `width` columns; when it had to be cut and
    /// `ellipsis` is set, the last column becomes "…" (or "~" in ASCII).
    public static func truncated(_ text: String, to width: Int, ellipsis: Bool = true, ascii: Bool = false) -> String {
        guard width > 0 else { return "" }
        if columns(of: text) <= width { return text }
        let budget = ellipsis ? width - 1 : width
        var out = ""
        var used = 0
        for character in text {
            let w = columns(of: character)
            if used + w > budget { break }
            out.append(character)
            used += w
        }
        if ellipsis { out.append(ascii ? "~" : "…") }
        return out
    }

    /// Pads (or truncates) `text` to exactly `width` columns.
    public static func padded(_ text: String, to width: Int, alignRight: Bool = false) -> String {
        let cut = truncated(text, to: width)
        let gap = max(0, width - columns(of: cut))
        let pad = String(repeating: " ", count: gap)
        return alignRight ? pad + cut : cut + pad
    }

    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
            0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
            0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
            0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
            0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55, 0x2E80...0x303E,
            0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x16FE0...0x18CFF, 0x1B000...0x1B2FF, 0x1F004, 0x1F0CF, 0x1F18E,
            0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F, 0x1F680...0x1F6FF,
            0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Lines of at most `width` columns, broken at spaces (a word longer than a line is cut).
    static func wordWrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = line.isEmpty ? word : line + " " + word
            if TextWidth.columns(of: candidate) <= width {
                line = candidate
                continue
            }
            if !line.isEmpty { lines.append(line) }
            line = ""
            // A word longer than a line: cut it in pieces of `width` columns.
            for c in word {
                if TextWidth.columns(of: line) + TextWidth.columns(of: c) > width {
                    lines.append(line)
                    line = ""
                }
                line.append(c)
            }
        }
        lines.append(line)
        return lines
    }

}
