/// Names of the files in a partition directory.
///
/// `<base-offset, 20 digits>.log|.index|.timeindex|.txnindex|.snapshot`; `<base>.log.cleaned` is a
/// segment being written by the cleaner; `<base>-<end>.log.swap` is a cleaned segment that
/// replaces every segment with a base offset in `[base, end)` (the swap is completed by the
/// loader after a crash); `*.tmp` files are half-written atomic replacements.
enum SegmentFiles {
    static let logSuffix = ".log"
    static let indexSuffix = ".index"
    static let timeIndexSuffix = ".timeindex"
    static let snapshotSuffix = ".snapshot"
    static let transactionIndexSuffix = ".txnindex"
    static let cleanedSuffix = ".log.cleaned"
    static let swapSuffix = ".log.swap"

    /// The 20-digit, zero-padded form of an offset, so that names sort as offsets do.
    static func digits(_ offset: Int64) -> String {
        let s = String(offset)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }

    static func path(_ directory: String, _ baseOffset: Int64, _ suffix: String) -> String {
        "\(directory)/\(digits(baseOffset))\(suffix)"
    }

    static func swapPath(_ directory: String, base: Int64, end: Int64) -> String {
        "\(directory)/\(digits(base))-\(digits(end))\(swapSuffix)"
    }

    /// The offset in a name `<20 digits><suffix>`, or nil when the name is not of that form.
    static func offset(in name: String, suffix: String) -> Int64? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(stem)
    }

    /// The range in a swap file's name `<base>-<end>.log.swap`.
    static func swapRange(in name: String) -> (base: Int64, end: Int64)? {
        guard name.hasSuffix(swapSuffix) else { return nil }
        let parts = name.dropLast(swapSuffix.count).split(separator: "-")
        guard parts.count == 2, parts.allSatisfy({ $0.count == 20 && $0.allSatisfy(\.isNumber) }),
              let base = Int64(parts[0]), let end = Int64(parts[1]) else { return nil }
        return (base, end)
    }
}
