import Foundation
import KafkaProtocolCodegen
import Testing

/// Regenerates Sources/KafkaProtocol/Generated from Kafka's specs and compares it with what is
/// committed, so that a generator change or a spec update cannot be forgotten.
@Suite("Generated code")
struct GeneratedCodeFreshnessTests {
    // The specs live outside the repository (`../shared` beside the worktree); a checkout without
    // them cannot regenerate, so the test is skipped there rather than failing.
    @Test(
        "the committed generated files are exactly what the generator writes",
        .enabled(if: Repository.hasSpecs, "Kafka's message specs are not at ../shared/kafka-protocol/messages")
    )
    func upToDate() throws {
        let generated = try Generator.generate(specsDirectory: Repository.specsDirectory)
        let folder = Repository.root.appendingPathComponent("Sources/KafkaProtocol/Generated")
        // Write into a temporary folder first, as `swift run KafkaProtocolGenerator` would.
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-codegen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        for (name, text) in generated {
            try text.write(to: temporary.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }

        let committed = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") })
        let fresh = Set(try FileManager.default.contentsOfDirectory(atPath: temporary.path))
        let hint = "run `swift run KafkaProtocolGenerator` and commit the result"
        #expect(fresh.subtracting(committed).sorted() == [], "missing generated files; \(hint)")
        #expect(committed.subtracting(fresh).sorted() == [], "stale generated files; \(hint)")
        for name in committed.intersection(fresh).sorted() {
            let old = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let new = try String(contentsOf: temporary.appendingPathComponent(name), encoding: .utf8)
            if old != new {
                let (a, b) = (old.split(separator: "\n", omittingEmptySubsequences: false), new.split(separator: "\n", omittingEmptySubsequences: false))
                let line = firstDifference(a, b)
                Issue.record("\(name) differs from the generator's output at line \(line + 1); \(hint)")
            }
        }
        #expect(generated.count > 90, "every API, header and data message")
    }
}
