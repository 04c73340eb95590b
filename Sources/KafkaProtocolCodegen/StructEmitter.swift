/// Emits one Swift struct (a message or one of its nested structs): properties, a memberwise
/// initializer, `init(from:version:)` and `encode(to:version:)`.
struct StructEmitter {
    let types: SwiftTypes

    static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do",
        "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while",
        "as", "catch", "false", "is", "nil", "super", "self", "Self", "throw", "throws", "true", "try", "Type",
    ]

    static func propertyName(_ field: FieldSpec) -> String {
        let n = field.name.lowerCamel
        return swiftKeywords.contains(n) ? "`\(n)`" : n
    }

    /// `self.name` without backticks where Swift allows it.
    static func member(_ field: FieldSpec) -> String {
        "self." + field.name.lowerCamel
    }

    func compactExpr(_ f: FieldSpec) -> String {
        if let fieldFlex = f.flexibleVersions {
            let c = fieldFlex.condition(within: types.valid)
            return c == "true" ? "isFlexible" : c == "false" ? "false" : "(isFlexible && \(c))"
        }
        return "isFlexible"
    }

    func emit(name: String, fields: [FieldSpec], doc: [String], conformances: String, nested: [String], into out: inout CodeWriter) {
        for line in doc { out.line("/// \(line)") }
        out.open("public struct \(name): \(conformances) {")
        for block in nested {
            out.lines(block)
            out.blank()
        }
        for f in fields {
            if let about = f.about, !about.isEmpty {
                out.line("/// \(about.replacingOccurrences(of: "\n", with: " "))")
            }
            out.line("public var \(Self.propertyName(f)): \(types.propertyType(f)) = \(types.defaultExpr(f))")
        }
        out.line("/// Tagged fields this version of Sluice does not know, kept so that re-encoding preserves them.")
        out.line("public var unknownTaggedFields: [TaggedField] = []")
        out.blank()
        out.line("/// Every field at the spec's default.")
        out.line("public init() {}")
        out.blank()
        emitMemberwiseInit(fields, into: &out)
        out.blank()
        emitDecoder(fields, into: &out)
        out.blank()
        emitEncoder(fields, into: &out)
        out.close()
    }

    private func emitMemberwiseInit(_ fields: [FieldSpec], into out: inout CodeWriter) {
        var params = fields.map { "\(Self.propertyName($0)): \(types.propertyType($0)) = \(types.defaultExpr($0))" }
        params.append("unknownTaggedFields: [TaggedField] = []")
        out.open("public init(")
        for (i, p) in params.enumerated() { out.line(p + (i == params.count - 1 ? "" : ",")) }
        out.close(") {")
        out.push()
        for f in fields { out.line("\(Self.member(f)) = \(Self.propertyName(f))") }
        out.line("self.unknownTaggedFields = unknownTaggedFields")
        out.close()
    }

    private var flexibleCondition: String { types.flexible.condition(within: types.valid) }

    private func emitConditional(_ cond: String, _ stmts: [String], into out: inout CodeWriter) {
        if cond == "false" { return }
        if cond == "true" {
            out.lines(stmts)
        } else {
            out.open("if \(cond) {")
            out.lines(stmts)
            out.close()
        }
    }

    private func emitDecoder(_ fields: [FieldSpec], into out: inout CodeWriter) {
        out.open("public init(from reader: inout WireReader, version: Int16) throws {")
        out.line("self.init()")
        let flex = flexibleCondition
        out.line("let isFlexible = \(flex)")
        if flex == "false" { out.line("_ = isFlexible") }
        for f in fields where f.tag == nil {
            let stmts = types.readStatements(f, target: Self.member(f), compact: compactExpr(f), reader: "reader")
            emitConditional(f.versions.condition(within: types.valid), stmts, into: &out)
        }
        if flex != "false" {
            let tagged = fields.filter { $0.tag != nil }
            out.open("if isFlexible {")
            if tagged.isEmpty {
                out.line("self.unknownTaggedFields = try reader.readTaggedFields { _, _ in false }")
            } else {
                out.open("self.unknownTaggedFields = try reader.readTaggedFields { tag, reader in")
                out.line("switch tag {")
                for f in tagged {
                    let cond = taggedCondition(f)
                    out.open(cond == "true" ? "case \(f.tag!):" : "case \(f.tag!) where \(cond):")
                    out.lines(types.readStatements(f, target: Self.member(f), compact: "true", reader: "reader"))
                    out.line("return true")
                    out.pop()
                }
                out.line("default:")
                out.line("    return false")
                out.line("}")
                out.close()
            }
            out.close()
        }
        out.close()
    }

    private func taggedCondition(_ f: FieldSpec) -> String {
        let t = f.taggedVersions.condition(within: types.valid)
        let v = f.versions.condition(within: types.valid)
        if t == "true" { return v }
        if v == "true" || v == t { return t }
        return "\(t) && \(v)"
    }

    private func emitEncoder(_ fields: [FieldSpec], into out: inout CodeWriter) {
        out.open("public func encode(to writer: inout WireWriter, version: Int16) {")
        let flex = flexibleCondition
        out.line("let isFlexible = \(flex)")
        if flex == "false" { out.line("_ = isFlexible") }
        for f in fields where f.tag == nil {
            let stmts = types.writeStatements(f, value: Self.member(f), compact: compactExpr(f), writer: "writer")
            emitConditional(f.versions.condition(within: types.valid), stmts, into: &out)
        }
        if flex != "false" {
            let tagged = fields.filter { $0.tag != nil }
            out.open("if isFlexible {")
            if tagged.isEmpty {
                out.line("writer.writeTaggedFields([], unknown: self.unknownTaggedFields)")
            } else {
                out.line("var tagged: [(tag: UInt32, write: (inout WireWriter) -> Void)] = []")
                for f in tagged {
                    var cond = taggedCondition(f)
                    let notDefault = "\(Self.member(f)) != \(types.defaultExpr(f))"
                    cond = cond == "true" ? notDefault : "\(cond) && \(notDefault)"
                    out.open("if \(cond) {")
                    out.line("let value = \(Self.member(f))")
                    out.open("tagged.append((tag: \(f.tag!), write: { writer in")
                    out.lines(types.writeStatements(f, value: "value", compact: "true", writer: "writer"))
                    out.close("}))")
                    out.close()
                }
                out.line("writer.writeTaggedFields(tagged, unknown: self.unknownTaggedFields)")
            }
            out.close()
        }
        out.close()
    }
}

/// A tiny indenting line writer.
struct CodeWriter {
    private(set) var text = ""
    private var level = 0

    mutating func line(_ s: String) {
        if s.isEmpty {
            text += "\n"
        } else {
            text += String(repeating: "    ", count: level) + s + "\n"
        }
    }

    mutating func lines(_ ss: [String]) { for s in ss { line(s) } }

    /// Appends an already-indented block, indenting it by the current level.
    mutating func lines(_ block: String) {
        for s in block.split(separator: "\n", omittingEmptySubsequences: false).dropLast(block.hasSuffix("\n") ? 1 : 0) {
            line(String(s))
        }
    }

    mutating func blank() { text += "\n" }

    /// Writes `s` and indents what follows.
    mutating func open(_ s: String) {
        line(s)
        level += 1
    }

    /// Ends an indented block, then writes `s`.
    mutating func close(_ s: String = "}") {
        level -= 1
        line(s)
    }

    mutating func push() { level += 1 }
    mutating func pop() { level -= 1 }
}
