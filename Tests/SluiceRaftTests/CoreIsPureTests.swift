import Foundation
import Testing

/// The README's promise, checked: nothing under `Sources/SluiceRaft/Core` imports anything (only
/// the standard library), so the state machine cannot reach a clock, a file or a thread.
@Suite struct CoreIsPureTests {
    @Test func coreFilesImportNothing() throws {
        let core = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SluiceRaft/Core")
        let files = try #require(FileManager.default.enumerator(atPath: core.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        for file in files {
            let text = try String(contentsOf: core.appendingPathComponent(file), encoding: .utf8)
            let imports = text.split(separator: "\n").filter {
                let line = $0.trimmingCharacters(in: .whitespaces)
                return line.hasPrefix("import ") || line.hasPrefix("@_exported import") || line.hasPrefix("@testable import")
            }
            #expect(imports.isEmpty, "\(file) imports \(imports)")
        }
    }
}
