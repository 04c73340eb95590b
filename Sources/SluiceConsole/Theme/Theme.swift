/// A colour of a theme: a 24-bit colour, or the terminal's own default.
public enum ThemeColor: Equatable, Sendable, Hashable {
    case terminalDefault
    case rgb(UInt8, UInt8, UInt8)

    /// Parses "#rrggbb" or "default".
    public init?(_ text: String) {
        if text.lowercased() == "default" {
            self = .terminalDefault
            return
        }
        let hex = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        guard hex.count == 6, let v = UInt32(hex, radix: 16) else { return nil }
        self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
    }
}

/// Terminal attributes, used only by monochrome themes.
public enum TextAttribute: String, Sendable, CaseIterable, Hashable {
    case bold, dim, reverse, underline, standout
}

/// How one role looks.
public struct RoleStyle: Equatable, Sendable {
    public var foreground: ThemeColor
    public var background: ThemeColor
    public var attributes: Set<TextAttribute>

    public init(foreground: ThemeColor = .terminalDefault, background: ThemeColor = .terminalDefault,
                attributes: Set<TextAttribute> = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }
}

/// A named mapping from every style role to colours (or, for a monochrome theme, to attributes).
public struct Theme: Equatable, Sendable {
    public var name: String
    public var description: String
    /// No colours, only attributes: used under NO_COLOR and on terminals without colours.
    public var isMonochrome: Bool
    public var roles: [StyleRole: RoleStyle]
    /// Where it came from: "built-in" or a file path.
    public var source: String

    public init(name: String, description: String, isMonochrome: Bool, roles: [StyleRole: RoleStyle], source: String) {
        self.name = name
        self.description = description
        self.isMonochrome = isMonochrome
        self.roles = roles
        self.source = source
    }

    public func style(_ role: StyleRole) -> RoleStyle { roles[role] ?? RoleStyle() }
}

/// Why a theme could not be loaded, in words (file, line, what is wrong).
public struct ThemeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
