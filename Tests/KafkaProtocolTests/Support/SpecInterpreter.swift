import Foundation
import NIOCore

@testable import KafkaProtocolCodegen

/// Writes random, valid wire bytes for a message at a version by walking its JSON spec: a
/// second, independent reading of the specs against which the generated decoders and encoders
/// are checked byte for byte.
///
/// Every field present at the version gets a random value (nullable ones are sometimes null);
/// tagged fields are written sometimes, always with a non-default value (encoders omit defaults);
/// flexible structs sometimes carry an unknown tag, which decoders must keep and re-encode.
struct SpecInterpreter {
    /// Tags written as unknown ones: above every tag the specs use.
    static let futureTags: ClosedRange<UInt32> = 200...300

    let spec: MessageSpec
    private var structs: [String: StructSpec] = [:]
    var rng: SeededGenerator

    init(spec: MessageSpec, seed: UInt64) {
        self.spec = spec
        self.rng = SeededGenerator(seed: seed)
        func collect(_ fields: [FieldSpec]) {
            for f in fields {
                if let s = f.inlineStruct {
                    structs[s.name] = s
                    collect(s.fields)
                }
            }
        }
        collect(spec.fields)
        for s in spec.commonStructs {
            structs[s.name] = s
            collect(s.fields)
        }
    }

    /// Loads and parses every spec in `directory`.
    static func specs(in directory: URL) throws -> [MessageSpec] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted().map {
            try SpecParser.parse(fileName: $0, text: String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8))
        }
    }

    var versions: ClosedRange<Int> { spec.validVersions.low...(spec.validVersions.high ?? spec.validVersions.low) }

    mutating func message(version: Int) -> [UInt8] {
        var out: [UInt8] = []
        fields(spec.fields, version: version, into: &out)
        return out
    }

    // MARK: Structure

    private func isFlexible(_ version: Int) -> Bool { spec.flexibleVersions.contains(version) }

    private mutating func fields(_ fields: [FieldSpec], version: Int, into out: inout [UInt8]) {
        for f in fields where f.tag == nil && f.versions.contains(version) {
            value(f, version: version, into: &out)
        }
        guard isFlexible(version) else { return }
        var tagged: [(tag: Int, bytes: [UInt8])] = []
        for f in fields {
            guard let tag = f.tag, f.versions.contains(version), f.taggedVersions.contains(version) else { continue }
            guard Bool.random(using: &rng) || Bool.random(using: &rng) else { continue }
            let defaultBytes = defaultValue(f, version: version)
            for _ in 0..<20 {
                var bytes: [UInt8] = []
                value(f, version: version, into: &bytes)
                if bytes != defaultBytes {
                    tagged.append((tag, bytes))
                    break
                }
            }
        }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            // A tag from a future Kafka: above every tag the specs use.
            tagged.append((Int(UInt32.random(in: Self.futureTags, using: &rng)), rng.bytes(Int.random(in: 0...3, using: &rng))))
        }
        tagged.sort { $0.tag < $1.tag }
        unsignedVarint(tagged.count, into: &out)
        for (tag, bytes) in tagged {
            unsignedVarint(tag, into: &out)
            unsignedVarint(bytes.count, into: &out)
            out.append(contentsOf: bytes)
        }
    }

    private func compact(_ f: FieldSpec, _ version: Int) -> Bool {
        isFlexible(version) && (f.flexibleVersions?.contains(version) ?? true)
    }

    /// One field's value: null sometimes when the spec allows it, otherwise a random value.
    private mutating func value(_ f: FieldSpec, version: Int, into out: inout [UInt8]) {
        let nullable = f.nullableVersions.contains(version)
        let compact = compact(f, version)
        if nullable && Int.random(in: 0..<5, using: &rng) == 0 {
            if case .structure = f.type { out.append(0xFF) } else { length(nil, compact: compact, width: width(f.type), into: &out) }
            return
        }
        if case .structure = f.type, nullable { out.append(1) }
        element(f.type, compact: compact, version: version, into: &out, structName: name(f))
    }

    private func name(_ f: FieldSpec) -> String? {
        switch f.type {
        case let .structure(n), let .array(.structure(n)): return n
        default: return nil
        }
    }

    private func width(_ type: FieldType) -> Int {
        switch type {
        case .string: return 2
        default: return 4  // bytes, records, arrays
        }
    }

    private mutating func element(_ type: FieldType, compact: Bool, version: Int, into out: inout [UInt8], structName: String?) {
        switch type {
        case .bool: out.append(UInt8.random(in: 0...1, using: &rng))
        case .int8: out.append(contentsOf: rng.bytes(1))
        case .int16, .uint16: out.append(contentsOf: rng.bytes(2))
        case .int32, .uint32: out.append(contentsOf: rng.bytes(4))
        case .int64: out.append(contentsOf: rng.bytes(8))
        case .uuid: out.append(contentsOf: rng.bytes(16))
        case .float64:
            let d = Double(Int32.random(in: -1000...1000, using: &rng)) / 8
            out.append(contentsOf: bigEndian(d.bitPattern))
        case .string:
            let text = (0..<Int.random(in: 0...6, using: &rng)).map { _ in UInt8.random(in: 0x61...0x7A, using: &rng) }
            length(text.count, compact: compact, width: 2, into: &out)
            out.append(contentsOf: text)
        case .bytes, .records:
            let bytes = rng.bytes(Int.random(in: 0...6, using: &rng))
            length(bytes.count, compact: compact, width: 4, into: &out)
            out.append(contentsOf: bytes)
        case .structure:
            fields(structs[structName!]!.fields, version: version, into: &out)
        case let .array(inner):
            let count = Int.random(in: 0...2, using: &rng)
            length(count, compact: compact, width: 4, into: &out)
            for _ in 0..<count { element(inner, compact: compact, version: version, into: &out, structName: structName) }
        }
    }

    // MARK: Defaults

    /// The bytes of the field's spec default, as a generated encoder writes it (for telling
    /// whether a random tagged value is a default one that an encoder would leave out).
    private mutating func defaultValue(_ f: FieldSpec, version: Int) -> [UInt8] {
        var out: [UInt8] = []
        let compact = compact(f, version)
        let text = f.defaultValue
        if text == "null" && f.nullableVersions.contains(version) {
            if case .structure = f.type { return [0xFF] }
            length(nil, compact: compact, width: width(f.type), into: &out)
            return out
        }
        switch f.type {
        case .bool: out.append(text?.lowercased() == "true" ? 1 : 0)
        case .int8: out.append(contentsOf: bigEndian(UInt8(truncatingIfNeeded: integer(text))))
        case .int16, .uint16: out.append(contentsOf: bigEndian(UInt16(truncatingIfNeeded: integer(text))))
        case .int32, .uint32: out.append(contentsOf: bigEndian(UInt32(truncatingIfNeeded: integer(text))))
        case .int64: out.append(contentsOf: bigEndian(UInt64(bitPattern: integer(text))))
        case .uuid: out.append(contentsOf: [UInt8](repeating: 0, count: 16))
        case .float64: out.append(contentsOf: bigEndian((Double(text ?? "0") ?? 0).bitPattern))
        case .string:
            let value = Array((text ?? "").utf8)
            length(value.count, compact: compact, width: 2, into: &out)
            out.append(contentsOf: value)
        case .bytes, .records, .array: length(0, compact: compact, width: 4, into: &out)
        case let .structure(name):
            if f.nullableVersions.contains(version) { out.append(1) }
            for field in structs[name]!.fields where field.tag == nil && field.versions.contains(version) {
                out.append(contentsOf: defaultValue(field, version: version))
            }
            if isFlexible(version) { out.append(0) }
        }
        return out
    }

    private func integer(_ text: String?) -> Int64 {
        guard let text, !text.isEmpty else { return 0 }
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return Int64(lower.dropFirst(2), radix: 16) ?? 0 }
        if lower.hasPrefix("-0x") { return -(Int64(lower.dropFirst(3), radix: 16) ?? 0) }
        return Int64(text) ?? 0
    }

    // MARK: Encoding helpers

    private func length(_ n: Int?, compact: Bool, width: Int, into out: inout [UInt8]) {
        if compact {
            unsignedVarint((n ?? -1) + 1, into: &out)
        } else if width == 2 {
            out.append(contentsOf: bigEndian(UInt16(truncatingIfNeeded: n ?? -1)))
        } else {
            out.append(contentsOf: bigEndian(UInt32(truncatingIfNeeded: n ?? -1)))
        }
    }

    private func unsignedVarint(_ value: Int, into out: inout [UInt8]) {
        var v = UInt32(value)
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
