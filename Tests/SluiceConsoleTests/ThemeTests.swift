import Foundation
import Testing
@testable import SluiceConsole

@Suite struct ThemeTests {
    static let themesDir = GeneratedFilesTests.root.appendingPathComponent("themes").path

    /// Every shipped theme file loads and defines every role the views paint.
    @Test func everyShippedThemeDefinesEveryRole() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.themesDir).filter { $0.hasSuffix(".toml") }.sorted()
        #expect(names == ["dark.toml", "high-contrast.toml", "light.toml", "monochrome.toml"])
        for name in names {
            let text = try String(contentsOfFile: Self.themesDir + "/" + name, encoding: .utf8)
            let theme = try ThemeLoader.load(toml: text, source: name)
            for role in StyleRole.themeRoles {
                #expect(theme.roles[role] != nil, "\(name) does not define \(role.rawValue)")
            }
            if theme.isMonochrome {
                #expect(theme.roles.values.allSatisfy { $0.foreground == .terminalDefault && $0.background == .terminalDefault })
            } else {
                #expect(theme.roles.values.allSatisfy { $0.attributes.isEmpty }, "\(name): attributes only under monochrome")
            }
        }
        #expect(ThemeCatalog.builtIn().problems.isEmpty)
        #expect(ThemeCatalog.builtIn().themes.map(\.name).sorted() == ["dark", "high-contrast", "light", "monochrome"])
    }

    @Test func selectionAndTextDifferInEveryTheme() {
        for theme in ThemeCatalog.builtIn().themes {
            #expect(theme.style(.selection) != theme.style(.text), "\(theme.name): the selected row would be invisible")
        }
    }

    @Test func brokenThemesAreRefusedWithReasons() {
        func problem(_ toml: String) -> String? {
            do {
                _ = try ThemeLoader.load(toml: toml, source: "t.toml")
                return nil
            } catch {
                return error.message
            }
        }
        let missing = problem(##"name = "x"\##n[roles]\##ntext = { fg = "#ffffff", bg = "#000000" }"##)
        #expect(missing?.contains("missing roles: muted") == true)
        #expect(problem(##"name = "x"\##n[roles]\##ntext = { fg = "#fffff", bg = "#000000" }"##)?.contains("#rrggbb") == true)
        #expect(problem(##"name = "x"\##n[roles]\##ntext = { fg = "#ffffff", bg = "#000000", attrs = ["bold"] }"##)?
            .contains("attributes belong to monochrome themes only") == true)
        #expect(problem(##"name = "x"\##nmonochrome = true\##n[roles]\##ntext = { attrs = ["blink"] }"##)?.contains("unknown attribute blink") == true)
        #expect(problem(##"name = "x"\##n[roles]\##nnot-a-role = { fg = "#ffffff", bg = "#000000" }"##)?.contains("unknown role not-a-role") == true)
        #expect(problem("name = ")?.contains("t.toml: line 1") == true)
    }

    @Test func userThemesComeFromTheConfigDirectoryAndMayReplaceShippedOnes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-theme-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let themes = dir.appendingPathComponent("sluice/themes")
        try FileManager.default.createDirectory(at: themes, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var custom = BuiltinThemes.sources.first { $0.file == "dark.toml" }!.toml
        custom = custom.replacingOccurrences(of: #"name = "dark""#, with: #"name = "ocean""#)
        try custom.write(to: themes.appendingPathComponent("ocean.toml"), atomically: true, encoding: .utf8)
        try "name = \"broken\"\n[roles]\n".write(to: themes.appendingPathComponent("broken.toml"), atomically: true, encoding: .utf8)
        var catalog = ThemeCatalog.load(environment: ["XDG_CONFIG_HOME": dir.path])
        #expect(catalog.theme(named: "ocean") != nil)
        #expect(catalog.problems.count == 1 && catalog.problems[0].contains("broken.toml"))
        // --theme PATH loads a file directly.
        let path = themes.appendingPathComponent("ocean.toml").path
        let byPath = try? catalog.select(path).get()
        let unknown = try? catalog.select("nope").get()
        #expect(byPath?.name == "ocean" && unknown == nil)
    }

    @Test func hexColoursMapToTheTerminalsPalette() {
        func map(_ hex: String, _ c: ColorCapability) -> Int { ColorMapper.index(ThemeColor(hex)!, capability: c) }
        #expect(map("#ff0000", .palette256) == 196)
        #expect(map("#000000", .palette256) == 16)
        #expect(map("#5fafd7", .palette256) == 74)
        #expect(map("#808080", .palette256) == 244)
        #expect(map("#1c1c1c", .palette256) == 234)
        #expect(map("#ff5f5f", .sixteen) == 9)
        #expect(map("#ff5f5f", .eight) == 1)
        #expect(map("#ffffff", .eight) == 7)
        #expect(map("#1c1c1c", .eight) == 0)
        #expect(map("#1f3a6f", .eight) == 4 && map("#ffd787", .eight) == 3 && map("#87d787", .sixteen) == 10)
        #expect(map("#808080", .sixteen) == 8 && map("#d0d0d0", .sixteen) == 7)
        #expect(ColorMapper.index(.terminalDefault, capability: .palette256) == -1)
        #expect(ColorCapability(colors: 256) == .palette256 && ColorCapability(colors: 8) == .eight && ColorCapability(colors: 0) == .none)
    }
}
