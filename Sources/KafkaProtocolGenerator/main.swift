import Foundation
import KafkaProtocolCodegen

// Regenerates Sources/KafkaProtocol/Generated from Kafka's message specs.
// Usage: swift run KafkaProtocolGenerator [SPECS_DIR] [OUTPUT_DIR]
// Defaults: ../shared/kafka-protocol/messages and Sources/KafkaProtocol/Generated.
let arguments = CommandLine.arguments.dropFirst()
let specs = URL(fileURLWithPath: arguments.first ?? "../shared/kafka-protocol/messages")
let output = URL(fileURLWithPath: arguments.dropFirst().first ?? "Sources/KafkaProtocol/Generated")

do {
    let files = try Generator.generate(specsDirectory: specs)
    let fm = FileManager.default
    try fm.createDirectory(at: output, withIntermediateDirectories: true)
    // Remove files that are no longer generated, so a deleted spec leaves nothing behind.
    for existing in try fm.contentsOfDirectory(atPath: output.path) where existing.hasSuffix(".swift") && files[existing] == nil {
        try fm.removeItem(at: output.appendingPathComponent(existing))
    }
    for (name, text) in files.sorted(by: { $0.key < $1.key }) {
        try text.write(to: output.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    print("wrote \(files.count) files to \(output.path)")
} catch {
    FileHandle.standardError.write(Data("KafkaProtocolGenerator: \(error)\n".utf8))
    exit(1)
}
