import Foundation

/// The themes the console can use: the shipped ones (built into the binary from `themes/`), then
/// the user's from `$XDG_CONFIG_HOME/sluice/themes/*.toml` (or `~/.config/sluice/themes`); a user
/// theme with a shipped theme's name replaces it.
public struct ThemeCatalog: Sendable {
    public private(set) var themes: [Theme]
    /// User theme files that failed to load, with the reason.
    public private(set) var problems: [String]

    /// The shipped themes only.
    public static func builtIn() -> ThemeCatalog {
        var themes: [Theme] = []
        var problems: [String] = []
        for (file, toml) in BuiltinThemes.sources {
            do {
                themes.append(try ThemeLoader.load(toml: toml, source: "themes/\(file)"))
            } catch {
                problems.append(error.message)
            }
        }
        return ThemeCatalog(themes: themes, problems: problems)
    }

    /// The shipped themes plus the user's theme directory.
    public static func load(environment: [String: String]) -> ThemeCatalog {
        var catalog = builtIn()
        guard let dir = userThemeDirectory(environment: environment),
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return catalog }
        for name in names.sorted() where name.hasSuffix(".toml") {
            switch loadFile(dir + "/" + name) {
            case .success(let theme): catalog.add(theme)
            case .failure(let error): catalog.problems.append(error.message)
            }
        }
        return catalog
    }

    public static func userThemeDirectory(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/sluice/themes" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/sluice/themes" }
        return nil
    }

    public static func loadFile(_ path: String) -> Result<Theme, ThemeError> {
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(ThemeError("\(path): cannot read it")) }
        guard let text = String(data: data, encoding: .utf8) else { return .failure(ThemeError("\(path): not UTF-8")) }
        do {
            return .success(try ThemeLoader.load(toml: text, source: path))
        } catch {
            return .failure(error)
        }
    }

    public mutating func add(_ theme: Theme) {
        if let i = themes.firstIndex(where: { $0.name == theme.name }) { themes[i] = theme } else { themes.append(theme) }
    }

    public func theme(named name: String) -> Theme? { themes.first { $0.name == name } }

    /// The theme used when colours are off.
    public var monochrome: Theme { themes.first { $0.isMonochrome } ?? Theme(name: "monochrome", description: "",
                                                                             isMonochrome: true, roles: [:], source: "fallback") }

    /// Resolves `--theme NAME|PATH`: a path (containing "/" or ending in .toml) is loaded and added.
    public mutating func select(_ nameOrPath: String) -> Result<Theme, ThemeError> {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            let result = Self.loadFile(nameOrPath)
            if case .success(let theme) = result { add(theme) }
            return result
        }
        guard let theme = theme(named: nameOrPath) else {
            return .failure(ThemeError("no theme \(nameOrPath); available: " + themes.map(\.name).joined(separator: ", ")))
        }
        return .success(theme)
    }
}
