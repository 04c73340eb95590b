/// How spec types map to Swift: property types, default values, and the reader/writer calls.
struct SwiftTypes {
    /// The message's versions and flexible versions, for simplifying version conditions.
    let valid: VersionRange
    let flexible: VersionRange

    enum NullMode {
        case never
        case always
        case when(String)  // a version condition
    }

    func baseType(_ t: FieldType) -> String {
        switch t {
        case .bool: return "Bool"
        case .int8: return "Int8"
        case .int16: return "Int16"
        case .uint16: return "UInt16"
        case .int32: return "Int32"
        case .uint32: return "UInt32"
        case .int64: return "Int64"
        case .float64: return "Double"
        case .string: return "String"
        case .bytes: return "ByteBuffer"
        case .records: return "RecordsPayload"
        case .uuid: return "KafkaUUID"
        case let .structure(n): return n
        case let .array(e): return "[\(baseType(e))]"
        }
    }

    func isOptional(_ f: FieldSpec) -> Bool {
        f.type == .records || !f.nullableVersions.isEmpty
    }

    func propertyType(_ f: FieldSpec) -> String {
        baseType(f.type) + (isOptional(f) ? "?" : "")
    }

    func nullMode(_ f: FieldSpec) -> NullMode {
        // Record sets are always Optional in Swift (nil is the natural "none"), but null goes on
        // the wire only where the spec allows it.
        if f.nullableVersions.isEmpty { return .never }
        // Only the versions in which the field exists matter.
        let present = VersionRange(
            low: max(valid.low, f.versions.low),
            high: [valid.high, f.versions.high].compactMap { $0 }.min()
        )
        let c = f.nullableVersions.condition(within: present)
        switch c {
        case "true": return .always
        case "false": return .never
        default: return .when(c)
        }
    }

    /// The "empty" non-null value of a type, used when a nil must be written where null is not allowed.
    func emptyValue(_ t: FieldType) -> String {
        switch t {
        case .string: return "\"\""
        case .bytes: return "ByteBuffer()"
        case .array: return "[]"
        case let .structure(n): return "\(n)()"
        case .records: return ".bytes(ByteBuffer())"
        default: return defaultLiteral(t, nil)
        }
    }

    func defaultExpr(_ f: FieldSpec) -> String {
        if isOptional(f) && (f.defaultValue == "null" || f.type == .records) { return "nil" }
        return defaultLiteral(f.type, f.defaultValue)
    }

    func defaultLiteral(_ t: FieldType, _ text: String?) -> String {
        switch t {
        case .bool:
            let v = (text ?? "false").lowercased()
            return (v == "true" || v == "1") ? "true" : "false"
        case .int8, .int16, .uint16, .int32, .uint32, .int64:
            guard let text, text != "null", !text.isEmpty else { return "0" }
            if text.lowercased().hasPrefix("0x") || text.lowercased().hasPrefix("-0x") { return text.lowercased() }
            return String(Int64(text) ?? 0)
        case .float64:
            guard let text, let d = Double(text) else { return "0" }
            return "\(d)"
        case .string:
            guard let text, text != "null" else { return "\"\"" }
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .bytes: return "ByteBuffer()"
        case .records: return "nil"
        case .uuid: return ".zero"
        case let .structure(n): return "\(n)()"
        case .array: return "[]"
        }
    }

    // MARK: Reading

    /// An expression reading one non-null-or-nullable value of type `t`.
    func readExpr(_ t: FieldType, nullable: Bool, compact: String, reader r: String, depth: Int) -> String {
        switch t {
        case .bool: return "try \(r).readBool()"
        case .int8: return "try \(r).readInt8()"
        case .int16: return "try \(r).readInt16()"
        case .uint16: return "try \(r).readUInt16()"
        case .int32: return "try \(r).readInt32()"
        case .uint32: return "try \(r).readUInt32()"
        case .int64: return "try \(r).readInt64()"
        case .float64: return "try \(r).readFloat64()"
        case .uuid: return "try \(r).readUUID()"
        case .string:
            return nullable ? "try \(r).readNullableString(compact: \(compact))" : "try \(r).readString(compact: \(compact))"
        case .bytes:
            return nullable ? "try \(r).readNullableBytes(compact: \(compact))" : "try \(r).readBytes(compact: \(compact))"
        case .records:
            return nullable ? "try \(r).readRecords(compact: \(compact))" : "try \(r).readNonNullRecords(compact: \(compact))"
        case let .structure(n):
            return nullable
                ? "try \(r).readNullableStruct { r in try \(n)(from: &r, version: version) }"
                : "try \(n)(from: &\(r), version: version)"
        case let .array(e):
            let inner = "r\(depth)"
            let element = readExpr(e, nullable: false, compact: compact, reader: inner, depth: depth + 1)
            let method = nullable ? "readNullableArray" : "readArray"
            return "try \(r).\(method)(compact: \(compact)) { \(inner) in \(element) }"
        }
    }

    /// Statements reading field `f` into `target`.
    func readStatements(_ f: FieldSpec, target: String, compact: String, reader r: String) -> [String] {
        switch nullMode(f) {
        case .never:
            return ["\(target) = \(readExpr(f.type, nullable: false, compact: compact, reader: r, depth: 0))"]
        case .always:
            return ["\(target) = \(readExpr(f.type, nullable: true, compact: compact, reader: r, depth: 0))"]
        case let .when(cond):
            return [
                "if \(cond) {",
                "    \(target) = \(readExpr(f.type, nullable: true, compact: compact, reader: r, depth: 0))",
                "} else {",
                "    \(target) = \(readExpr(f.type, nullable: false, compact: compact, reader: r, depth: 0))",
                "}",
            ]
        }
    }

    // MARK: Writing

    /// A statement writing `value` of type `t`. `optional` says whether the Swift value is
    /// Optional; `nullable` whether null may go on the wire.
    func writeStmt(_ t: FieldType, value v: String, optional: Bool, nullable: Bool, compact: String,
                   writer w: String, depth: Int) -> String {
        let value = (optional && !nullable) ? "(\(v) ?? \(emptyValue(t)))" : v
        let isNull = optional && nullable
        switch t {
        case .bool: return "\(w).writeBool(\(value))"
        case .int8: return "\(w).writeInt8(\(value))"
        case .int16: return "\(w).writeInt16(\(value))"
        case .uint16: return "\(w).writeUInt16(\(value))"
        case .int32: return "\(w).writeInt32(\(value))"
        case .uint32: return "\(w).writeUInt32(\(value))"
        case .int64: return "\(w).writeInt64(\(value))"
        case .float64: return "\(w).writeFloat64(\(value))"
        case .uuid: return "\(w).writeUUID(\(value))"
        case .string:
            return isNull ? "\(w).writeNullableString(\(value), compact: \(compact))" : "\(w).writeString(\(value), compact: \(compact))"
        case .bytes:
            return isNull ? "\(w).writeNullableBytes(\(value), compact: \(compact))" : "\(w).writeBytes(\(value), compact: \(compact))"
        case .records:
            return "\(w).writeRecords(\(value), compact: \(compact))"
        case .structure:
            return isNull
                ? "\(w).writeNullableStruct(\(value)) { w, s in s.encode(to: &w, version: version) }"
                : "\(value).encode(to: &\(w), version: version)"
        case let .array(e):
            let wi = "w\(depth)"
            let ei = "e\(depth)"
            let element = writeStmt(e, value: ei, optional: false, nullable: false, compact: compact, writer: wi, depth: depth + 1)
            let method = isNull ? "writeNullableArray" : "writeArray"
            return "\(w).\(method)(\(value), compact: \(compact)) { \(wi), \(ei) in \(element) }"
        }
    }

    func writeStatements(_ f: FieldSpec, value: String, compact: String, writer w: String) -> [String] {
        let optional = isOptional(f)
        switch nullMode(f) {
        case .never:
            return [writeStmt(f.type, value: value, optional: optional, nullable: false, compact: compact, writer: w, depth: 0)]
        case .always:
            return [writeStmt(f.type, value: value, optional: optional, nullable: true, compact: compact, writer: w, depth: 0)]
        case let .when(cond):
            return [
                "if \(cond) {",
                "    " + writeStmt(f.type, value: value, optional: optional, nullable: true, compact: compact, writer: w, depth: 0),
                "} else {",
                "    " + writeStmt(f.type, value: value, optional: optional, nullable: false, compact: compact, writer: w, depth: 0),
                "}",
            ]
        }
    }
}
