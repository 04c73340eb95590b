/// A decoding failure: the bytes do not form a valid value of the expected type.
///
/// Decoders in this module never trap on input: every malformed byte string ends in one of
/// these errors, which the broker turns into a closed connection or a Kafka error code.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case truncated(needed: Int, available: Int)
        case negativeLength(Int)
        case lengthExceedsInput(length: Int, available: Int)
        case varintTooLong
        case unexpectedNull(String)
        case invalidValue(String)
    }

    let kind: Kind

    /// Bytes ran out before the value was complete.
    public static func truncated(needed: Int, available: Int) -> WireError {
        WireError(kind: .truncated(needed: needed, available: available))
    }

    /// A length prefix below -1 (or -1 where null is not allowed).
    public static func negativeLength(_ length: Int) -> WireError { WireError(kind: .negativeLength(length)) }

    /// A length prefix that claims more bytes than the input holds.
    public static func lengthExceedsInput(_ length: Int, available: Int) -> WireError {
        WireError(kind: .lengthExceedsInput(length: length, available: available))
    }

    /// A varint longer than its type allows.
    public static var varintTooLong: WireError { WireError(kind: .varintTooLong) }

    /// Null where the field is not nullable at this version.
    public static func unexpectedNull(_ field: String) -> WireError { WireError(kind: .unexpectedNull(field)) }

    /// Anything else that is structurally wrong.
    public static func invalidValue(_ reason: String) -> WireError { WireError(kind: .invalidValue(reason)) }

    public var description: String {
        switch kind {
        case let .truncated(needed, available):
            return "truncated input: needed \(needed) bytes, \(available) available"
        case let .negativeLength(length):
            return "invalid negative length \(length)"
        case let .lengthExceedsInput(length, available):
            return "length \(length) exceeds the \(available) bytes remaining"
        case .varintTooLong:
            return "varint too long"
        case let .unexpectedNull(field):
            return "null value for non-nullable field \(field)"
        case let .invalidValue(reason):
            return reason
        }
    }
}
