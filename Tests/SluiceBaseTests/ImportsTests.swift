import SluiceBase
import Testing

/// The README's promise, checked: SluiceBase imports only the C CRC target and the platform's C
/// library, so every other module (Raft's disk store included) can sit on it for free.
@Suite struct SluiceBaseImportsTests {
    @Test func importsNothingButTheCRCTargetAndLibc() throws {
        let tests = #filePath.split(separator: "/").dropLast(2).joined(separator: "/")
        let sources = "/" + tests.dropLast("/Tests".count) + "/Sources/SluiceBase"
        #expect(tests.hasSuffix("/Tests"))
        let allowed: Set<String> = ["CCRC32C", "Glibc", "Musl", "Darwin"]
        let files = try Posix.listDirectory(sources).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 5)
        for file in files {
            let text = String(decoding: try #require(try Posix.readAll(sources + "/" + file)), as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.contains("@_exported import") {
                #expect(allowed.contains(String(line.split(separator: " ").last!)), "\(file): \(line)")
            }
        }
    }
}
