import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaProtocolCodegen

/// Every message the specs define, as a Swift type.
enum MessageTypes {
    static let headersAndData: [String: any KafkaMessage.Type] = [
        "RequestHeader": RequestHeader.self, "ResponseHeader": ResponseHeader.self,
        "ConsumerProtocolAssignment": ConsumerProtocolAssignment.self,
        "ConsumerProtocolSubscription": ConsumerProtocolSubscription.self,
        "DefaultPrincipalData": DefaultPrincipalData.self, "KRaftVersionRecord": KRaftVersionRecord.self,
        "LeaderChangeMessage": LeaderChangeMessage.self, "SnapshotFooterRecord": SnapshotFooterRecord.self,
        "SnapshotHeaderRecord": SnapshotHeaderRecord.self, "VotersRecord": VotersRecord.self,
    ]

    static func type(for spec: MessageSpec) -> (any KafkaMessage.Type)? {
        switch spec.kind {
        case .request: return spec.apiKey.flatMap { ApiKey(rawValue: Int16($0)) }?.requestType
        case .response: return spec.apiKey.flatMap { ApiKey(rawValue: Int16($0)) }?.responseType
        case .header, .data: return headersAndData[spec.name]
        }
    }

    /// Every request and response type with its versions (from the generated table, no specs needed).
    static var apis: [(name: String, type: any KafkaMessage.Type, versions: ClosedRange<Int16>)] {
        ApiKey.allCases.flatMap { key in
            [("\(key)Request", key.requestType as any KafkaMessage.Type, key.specVersions),
             ("\(key)Response", key.responseType as any KafkaMessage.Type, key.specVersions)]
        }
    }
}

/// Decodes `bytes` as `T` at `version`, then checks that nothing is left, that encoding gives the
/// same bytes back, and that decoding that again gives the same value. Returns a failure or nil.
func wireRoundTrip<T: KafkaMessage>(_ type: T.Type, _ bytes: [UInt8], version: Int16) -> String? {
    do {
        var reader = WireReader(ByteBuffer(bytes: bytes))
        let value = try T(from: &reader, version: version)
        guard reader.remaining == 0 else { return "\(reader.remaining) bytes left unread" }
        var writer = WireWriter()
        value.encode(to: &writer, version: version)
        let encoded = writer.buffer.bytes
        guard encoded == bytes else {
            let at = firstDifference(encoded, bytes)
            return "re-encoding differs at byte \(at) (\(encoded.count) vs \(bytes.count) bytes): \(Hex.string(bytes))"
        }
        var again = WireReader(writer.buffer)
        guard try T(from: &again, version: version) == value else { return "decoding the re-encoding differs" }
        // Known tags must land in their fields: only the interpreter's future tags may stay unknown.
        let misplaced = unknownTags(in: value).filter { $0 < SpecInterpreter.futureTags.lowerBound }
        guard misplaced.isEmpty else { return "known tags \(misplaced) were not decoded into fields" }
        return nil
    } catch {
        return "\(error) decoding \(Hex.string(bytes))"
    }
}

/// Every tag kept in an `unknownTaggedFields` anywhere inside `value`.
func unknownTags(in value: Any) -> [UInt32] {
    var tags: [UInt32] = []
    for child in Mirror(reflecting: value).children {
        if child.label == "unknownTaggedFields", let fields = child.value as? [TaggedField] {
            tags += fields.map(\.tag)
        } else {
            tags += unknownTags(in: child.value)
        }
    }
    return tags
}

/// Encodes the default value, decodes it, and compares.
func defaultRoundTrip<T: KafkaMessage>(_ type: T.Type, version: Int16) -> String? {
    var writer = WireWriter()
    T().encode(to: &writer, version: version)
    do {
        var reader = WireReader(writer.buffer)
        let decoded = try T(from: &reader, version: version)
        guard reader.remaining == 0 else { return "\(reader.remaining) bytes left" }
        return decoded == T() ? nil : "decoded value differs"
    } catch {
        return "\(error)"
    }
}

@Suite("Generated messages round trip")
struct MessageRoundTripTests {
    @Test("every request and response at every version: the default value")
    func defaults() {
        var checked = 0
        for (name, type, versions) in MessageTypes.apis {
            for version in versions {
                if let failure = defaultRoundTrip(type, version: version) { Issue.record("\(name) v\(version): \(failure)") }
                checked += 1
            }
        }
        #expect(checked > 600)
    }

    @Test(
        "every message at every version: random values from the spec, tagged fields included",
        .enabled(if: Repository.hasSpecs, "Kafka's message specs are not at ../shared/kafka-protocol/messages")
    )
    func fromSpecs() throws {
        let seed = TestSeed.make()
        let specs = try SpecInterpreter.specs(in: Repository.specsDirectory)
        #expect(specs.count > 180)
        var checked = 0
        for (index, spec) in specs.enumerated() {
            guard let type = MessageTypes.type(for: spec) else {
                Issue.record("no Swift type for \(spec.name)")
                continue
            }
            var interpreter = SpecInterpreter(spec: spec, seed: seed &+ UInt64(index))
            for version in interpreter.versions {
                for _ in 0..<6 {
                    let bytes = interpreter.message(version: version)
                    if let failure = wireRoundTrip(type, bytes, version: Int16(version)) {
                        Issue.record("\(spec.name) v\(version), seed \(seed): \(failure)")
                        break
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 3500)
    }
}
