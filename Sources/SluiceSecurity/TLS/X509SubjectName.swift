/// A certificate's subject as Java's `X500Principal.getName(RFC2253)` prints it, which is what
/// Kafka's SSL principal (`User:CN=dave,OU=ops,O=Acme`) is made of: the RDNs last to first,
/// attribute keywords CN, C, L, ST, O, OU, STREET, DC and UID, any other attribute as its dotted
/// OID with the value's DER in hex (`1.2.840.113549.1.9.1=#1611...`), special characters escaped.
///
/// Read straight from the certificate's DER: a small reader of the few structures involved.
public enum X509SubjectName {
    /// The RFC 2253 subject of a DER-encoded certificate.
    public static func rfc2253(certificateDER der: [UInt8]) throws -> String {
        var reader = DERReader(der[...])
        var certificate = DERReader(try reader.read(tag: 0x30).contents)
        var tbs = DERReader(try certificate.read(tag: 0x30).contents)
        if tbs.peekTag == 0xA0 { _ = try tbs.readAny() }   // [0] version
        _ = try tbs.read(tag: 0x02)                         // serial number
        _ = try tbs.read(tag: 0x30)                         // signature algorithm
        _ = try tbs.read(tag: 0x30)                         // issuer
        _ = try tbs.read(tag: 0x30)                         // validity
        let subject = try tbs.read(tag: 0x30)
        return try rfc2253(name: subject.contents)
    }

    /// The RFC 2253 form of a DER `Name` (the contents of its SEQUENCE).
    static func rfc2253(name: ArraySlice<UInt8>) throws -> String {
        var rdns: [String] = []
        var sequence = DERReader(name)
        while !sequence.isAtEnd {
            var set = DERReader(try sequence.read(tag: 0x31).contents)
            var attributes: [String] = []
            while !set.isAtEnd {
                var pair = DERReader(try set.read(tag: 0x30).contents)
                let oid = try pair.read(tag: 0x06).contents
                let value = try pair.readAny()
                attributes.append(attribute(oid: oidString(oid), value: value))
            }
            rdns.append(attributes.joined(separator: "+"))
        }
        return rdns.reversed().joined(separator: ",")
    }

    private static let keywords: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
        "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
    ]

    private static func attribute(oid: String, value: DERElement) -> String {
        if let keyword = keywords[oid], let text = decodeString(value) {
            return keyword + "=" + escape(text)
        }
        return oid + "=#" + value.encoded.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The text of a directory string (UTF8String, PrintableString, IA5String, TeletexString,
    /// BMPString, UniversalString); nil for anything else.
    private static func decodeString(_ element: DERElement) -> String? {
        let bytes = Array(element.contents)
        switch element.tag {
        case 0x0C, 0x13, 0x16, 0x12, 0x1A: return String(validating: bytes, as: UTF8.self)
        case 0x14: return String(bytes.map { Character(Unicode.Scalar($0)) })
        case 0x1E:
            guard bytes.count % 2 == 0 else { return nil }
            let units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            return String(decoding: units, as: UTF16.self)
        case 0x1C:
            guard bytes.count % 4 == 0 else { return nil }
            var text = ""
            for index in stride(from: 0, to: bytes.count, by: 4) {
                let value = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
                guard let scalar = Unicode.Scalar(value) else { return nil }
                text.unicodeScalars.append(scalar)
            }
            return text
        default: return nil
        }
    }

    /// RFC 2253 §2.4 escaping, as Java does it.
    static func escape(_ value: String) -> String {
        var out = ""
        let chars = Array(value)
        for (index, char) in chars.enumerated() {
            if ",+\"\\<>;".contains(char) || (index == 0 && (char == "#" || char == " ")) || (index == chars.count - 1 && char == " ") {
                out.append("\\")
            }
            out.append(char)
        }
        return out
    }

    private static func oidString(_ bytes: ArraySlice<UInt8>) -> String {
        var parts: [String] = []
        var value: UInt64 = 0
        var first = true
        for byte in bytes {
            value = value << 7 | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 {
                if first {
                    let top = min(value / 40, 2)
                    parts.append(String(top))
                    parts.append(String(value - top * 40))
                    first = false
                } else {
                    parts.append(String(value))
                }
                value = 0
            }
        }
        return parts.joined(separator: ".")
    }
}

/// A malformed certificate.
public struct X509Error: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

struct DERElement {
    var tag: UInt8
    var contents: ArraySlice<UInt8>
    /// The whole element: tag, length and contents.
    var encoded: ArraySlice<UInt8>
}

/// Reads DER elements in sequence (definite lengths only, as DER requires).
struct DERReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }
    var peekTag: UInt8? { bytes.first }

    mutating func readAny() throws -> DERElement {
        guard bytes.count >= 2 else { throw X509Error("truncated DER element") }
        let start = bytes.startIndex
        let tag = bytes[start]
        guard tag & 0x1F != 0x1F else { throw X509Error("multi-byte DER tags are not expected here") }
        var index = start + 1
        let first = bytes[index]
        index += 1
        var length = 0
        if first & 0x80 == 0 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, bytes.endIndex - index >= count else { throw X509Error("bad DER length") }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard length >= 0, bytes.endIndex - index >= length else { throw X509Error("DER element longer than its container") }
        let element = DERElement(tag: tag, contents: bytes[index..<index + length], encoded: bytes[start..<index + length])
        bytes = bytes[(index + length)...]
        return element
    }

    mutating func read(tag: UInt8) throws -> DERElement {
        let element = try readAny()
        guard element.tag == tag else {
            throw X509Error("expected DER tag 0x\(String(tag, radix: 16)), found 0x\(String(element.tag, radix: 16))")
        }
        return element
    }
}
