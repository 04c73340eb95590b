import TOMLKit

/// Reads theme files (TOML): `name`, `description`, optional `monochrome = true`, and a `[roles]`
/// table defining every role as `{ fg = "#rrggbb", bg = "#rrggbb" }` (colour themes) or
/// `{ attrs = ["bold", ...] }` (monochrome themes).
public enum ThemeLoader {
    private struct File: Decodable {
        var name: String
        var description: String?
        var monochrome: Bool?
        var roles: [String: Role]
    }

    private struct Role: Decodable {
        var fg: String?
        var bg: String?
        var attrs: [String]?
    }

    /// Parses and validates a theme; `source` names it in error messages.
    public static func load(toml text: String, source: String) throws(ThemeError) -> Theme {
        let file: File
        do {
            var decoder = TOMLDecoder()
            decoder.strictDecoding = true
            file = try decoder.decode(File.self, from: text)
        } catch let error as TOMLParseError {
            throw ThemeError("\(source): line \(error.source.begin.line): \(error.description)")
        } catch {
            throw ThemeError("\(source): \(describe(error))")
        }
        let mono = file.monochrome ?? false
        var roles: [StyleRole: RoleStyle] = [:]
        var problems: [String] = []
        for (key, spec) in file.roles.sorted(by: { $0.key < $1.key }) {
            guard let role = StyleRole(rawValue: key), role != .unpainted else {
                problems.append("unknown role \(key)")
                continue
            }
            var style = RoleStyle()
            if mono {
                if spec.fg != nil || spec.bg != nil { problems.append("\(key): a monochrome theme has no colours") }
                for a in spec.attrs ?? [] {
                    guard let attr = TextAttribute(rawValue: a) else {
                        problems.append("\(key): unknown attribute \(a) (use \(TextAttribute.allCases.map(\.rawValue).joined(separator: ", ")))")
                        continue
                    }
                    style.attributes.insert(attr)
                }
            } else {
                if spec.attrs != nil { problems.append("\(key): attributes belong to monochrome themes only") }
                guard let fgText = spec.fg, let bgText = spec.bg else {
                    problems.append("\(key): needs both fg and bg")
                    continue
                }
                guard let fg = ThemeColor(fgText), let bg = ThemeColor(bgText) else {
                    problems.append("\(key): colours are #rrggbb or \"default\"")
                    continue
                }
                style.foreground = fg
                style.background = bg
            }
            roles[role] = style
        }
        let missing = StyleRole.themeRoles.filter { file.roles[$0.rawValue] == nil }
        if !missing.isEmpty { problems.append("missing roles: " + missing.map(\.rawValue).joined(separator: ", ")) }
        guard problems.isEmpty else { throw ThemeError("\(source): " + problems.joined(separator: "; ")) }
        return Theme(name: file.name, description: file.description ?? "", isMonochrome: mono, roles: roles, source: source)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            let path = (ctx.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            return "missing \(path)"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx), DecodingError.dataCorrupted(let ctx):
            return "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)"
        case let e as UnexpectedKeysError:
            return "unexpected keys: " + e.keys.keys.sorted().joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}
