import Foundation
import Testing
@testable import SluiceConsole

/// Files generated from other sources must match them: the README's keybinding table (from the key
/// table) and BuiltinThemes.swift (from themes/*.toml). UPDATE_GENERATED=1 rewrites them (and fails,
/// so a regeneration is never a silent pass).
@Suite struct GeneratedFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var update: Bool { ProcessInfo.processInfo.environment["UPDATE_GENERATED"] == "1" }

    @Test func readmeKeybindingsAreFresh() throws {
        let path = Self.root.appendingPathComponent("README.md").path
        let readme = try String(contentsOfFile: path, encoding: .utf8)
        let fresh = try #require(KeybindingDoc.updating(readme), "README.md lacks the keybinding markers")
        if fresh != readme {
            if Self.update { try fresh.write(toFile: path, atomically: true, encoding: .utf8) }
            Issue.record("README.md's keybinding table is stale\(Self.update ? " (rewritten)" : "; run UPDATE_GENERATED=1 swift test --filter GeneratedFiles")")
        }
    }

    @Test func builtinThemesMatchTheThemeFiles() throws {
        let dir = Self.root.appendingPathComponent("themes").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".toml") }
        let files = try names.map { (name: $0, text: try String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) }
        let source = BuiltinThemesGenerator.source(files: files)
        let path = Self.root.appendingPathComponent("Sources/SluiceConsole/Theme/BuiltinThemes.swift").path
        let current = try String(contentsOfFile: path, encoding: .utf8)
        if source != current {
            if Self.update { try source.write(toFile: path, atomically: true, encoding: .utf8) }
            Issue.record("BuiltinThemes.swift is stale\(Self.update ? " (rewritten)" : "; run UPDATE_GENERATED=1 swift test --filter GeneratedFiles")")
        }
        #expect(BuiltinThemes.sources.map(\.file).sorted() == names.sorted())
    }
}
