/// The parsed form of one of Kafka's JSON message specs.
struct MessageSpec {
    enum Kind: String {
        case request, response, header, data
    }

    var name: String
    var kind: Kind
    var apiKey: Int?
    var validVersions: VersionRange
    var flexibleVersions: VersionRange
    var fields: [FieldSpec]
    var commonStructs: [StructSpec]
    /// The spec file name, for the generated file's header comment.
    var fileName: String
}

struct StructSpec {
    var name: String
    var fields: [FieldSpec]
}

struct FieldSpec {
    var name: String
    var type: FieldType
    var versions: VersionRange
    var nullableVersions: VersionRange
    var taggedVersions: VersionRange
    var tag: Int?
    var flexibleVersions: VersionRange?
    var defaultValue: String?
    var about: String?
    /// Inline struct definition carried by this field (when `fields` is present).
    var inlineStruct: StructSpec?
}

indirect enum FieldType: Equatable {
    case bool, int8, int16, uint16, int32, uint32, int64, float64, string, bytes, records, uuid
    case structure(String)
    case array(FieldType)

    init(parsing text: String) {
        if text.hasPrefix("[]") {
            self = .array(FieldType(parsing: String(text.dropFirst(2))))
            return
        }
        switch text {
        case "bool": self = .bool
        case "int8": self = .int8
        case "int16": self = .int16
        case "uint16": self = .uint16
        case "int32": self = .int32
        case "uint32": self = .uint32
        case "int64": self = .int64
        case "float64": self = .float64
        case "string": self = .string
        case "bytes": self = .bytes
        case "records": self = .records
        case "uuid": self = .uuid
        default: self = .structure(text)
        }
    }
}

/// A version range as the specs write it: "0+", "3-7", "5", or "none".
struct VersionRange: Equatable {
    var low: Int
    var high: Int?  // nil: open-ended
    var isEmpty: Bool

    static let none = VersionRange(low: 0, high: nil, isEmpty: true)
    static let all = VersionRange(low: 0, high: nil, isEmpty: false)

    init(low: Int, high: Int?, isEmpty: Bool = false) {
        self.low = low
        self.high = high
        self.isEmpty = isEmpty
    }

    init(parsing text: String?) throws {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            self = .none
            return
        }
        if text == "none" {
            self = .none
        } else if text.hasSuffix("+"), let low = Int(text.dropLast()) {
            self.init(low: low, high: nil)
        } else if let dash = text.firstIndex(of: "-"),
            let low = Int(text[..<dash]), let high = Int(text[text.index(after: dash)...])
        {
            self.init(low: low, high: high)
        } else if let v = Int(text) {
            self.init(low: v, high: v)
        } else {
            throw GeneratorError("invalid version range '\(text)'")
        }
    }

    func contains(_ v: Int) -> Bool {
        !isEmpty && v >= low && (high.map { v <= $0 } ?? true)
    }

    /// The Swift condition under which `version` lies in this range, simplified for the versions
    /// the message actually has. Returns "true"/"false" for the trivial cases.
    func condition(within valid: VersionRange, variable: String = "version") -> String {
        if isEmpty { return "false" }
        let validHigh = valid.high ?? Int.max
        let needLow = low > valid.low
        let needHigh = (high ?? Int.max) < validHigh
        if low > validHigh { return "false" }
        if let high, high < valid.low { return "false" }
        switch (needLow, needHigh) {
        case (false, false): return "true"
        case (true, false): return "\(variable) >= \(low)"
        case (false, true): return "\(variable) <= \(high!)"
        case (true, true):
            return low == high! ? "\(variable) == \(low)" : "(\(low)...\(high!)).contains(\(variable))"
        }
    }
}

struct GeneratorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import Foundation

extension String {
    /// "ThrottleTimeMs" -> "throttleTimeMs", "ISRNodes" -> "isrNodes".
    var lowerCamel: String {
        let chars = Array(self)
        var i = 0
        while i < chars.count && chars[i].isUppercase { i += 1 }
        if i == 0 { return self }
        if i == 1 || i == chars.count { return String(chars[..<i]).lowercased() + String(chars[i...]) }
        // An acronym followed by a word: keep the word's first capital.
        return String(chars[..<(i - 1)]).lowercased() + String(chars[(i - 1)...])
    }
}
