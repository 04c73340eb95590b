import Foundation

/// Turns a spec file's JSON into a ``MessageSpec``.
enum SpecParser {
    static func parse(fileName: String, text: String) throws -> MessageSpec {
        guard let root = try JSONWithComments.parse(text) as? [String: Any] else {
            throw GeneratorError("\(fileName): top level is not an object")
        }
        guard let name = root["name"] as? String,
            let kindText = root["type"] as? String, let kind = MessageSpec.Kind(rawValue: kindText)
        else {
            throw GeneratorError("\(fileName): missing name or type")
        }
        let fields = try (root["fields"] as? [[String: Any]] ?? []).map { try field($0, in: fileName) }
        let common = try (root["commonStructs"] as? [[String: Any]] ?? []).map { s -> StructSpec in
            guard let n = s["name"] as? String else { throw GeneratorError("\(fileName): common struct without name") }
            return StructSpec(name: n, fields: try (s["fields"] as? [[String: Any]] ?? []).map { try field($0, in: fileName) })
        }
        return MessageSpec(
            name: name,
            kind: kind,
            apiKey: root["apiKey"] as? Int,
            validVersions: try VersionRange(parsing: root["validVersions"] as? String),
            flexibleVersions: try VersionRange(parsing: root["flexibleVersions"] as? String),
            fields: fields,
            commonStructs: common,
            fileName: fileName
        )
    }

    private static func field(_ json: [String: Any], in fileName: String) throws -> FieldSpec {
        guard let name = json["name"] as? String, let typeText = json["type"] as? String else {
            throw GeneratorError("\(fileName): field without name or type")
        }
        let type = FieldType(parsing: typeText)
        var inline: StructSpec?
        if let sub = json["fields"] as? [[String: Any]] {
            let structName: String
            switch type {
            case let .structure(n): structName = n
            case let .array(.structure(n)): structName = n
            default: throw GeneratorError("\(fileName): field \(name) has fields but type \(typeText)")
            }
            inline = StructSpec(name: structName, fields: try sub.map { try field($0, in: fileName) })
        }
        var defaultValue: String?
        if let d = json["default"] {
            if let s = d as? String { defaultValue = s } else if let n = d as? NSNumber { defaultValue = n.stringValue }
        }
        var tag: Int?
        if let t = json["tag"] as? Int { tag = t }
        return FieldSpec(
            name: name,
            type: type,
            versions: try VersionRange(parsing: json["versions"] as? String),
            nullableVersions: try VersionRange(parsing: json["nullableVersions"] as? String),
            taggedVersions: try VersionRange(parsing: json["taggedVersions"] as? String),
            tag: tag,
            flexibleVersions: try (json["flexibleVersions"] as? String).map { try VersionRange(parsing: $0) },
            defaultValue: defaultValue,
            about: json["about"] as? String,
            inlineStruct: inline
        )
    }
}
