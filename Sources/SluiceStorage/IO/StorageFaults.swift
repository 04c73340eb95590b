import NIOConcurrencyHelpers

/// Injected I/O failures: the narrow seam in front of every write, fsync, truncate and file
/// creation that storage performs, so that tests can make the disk fail on cue (EIO, ENOSPC,
/// short writes) without a special file system.
///
/// Production code passes `nil` and pays one optional check per call.
///
/// ```swift
/// let faults = StorageFaults()
/// faults.fail(.write, pathContaining: ".log", errno: EIO, afterBytes: 100)
/// ```
public final class StorageFaults: Sendable {
    public enum Operation: Sendable {
        case write, sync, truncate, create
    }

    struct Rule: Sendable {
        var operation: Operation
        var pathContains: String
        var errno: Int32
        /// For writes: how many bytes of the failing write still reach the file (a short write).
        var afterBytes: Int
        /// How many more times the rule fires; nil is forever.
        var remaining: Int?
    }

    private let rules = NIOLockedValueBox<[Rule]>([])

    public init() {}

    /// Makes matching operations fail with `errno`; a failing write first writes `afterBytes`.
    public func fail(_ operation: Operation, pathContaining: String = "", errno: Int32, afterBytes: Int = 0,
                     times: Int? = nil) {
        rules.withLockedValue {
            $0.append(Rule(operation: operation, pathContains: pathContaining, errno: errno,
                           afterBytes: afterBytes, remaining: times))
        }
    }

    /// Removes every rule: the disk works again.
    public func clear() {
        rules.withLockedValue { $0.removeAll() }
    }

    /// The failure to inject for an operation on `path`, if a rule matches.
    func check(_ operation: Operation, path: String) -> (errno: Int32, afterBytes: Int)? {
        rules.withLockedValue { rules in
            guard let i = rules.firstIndex(where: {
                $0.operation == operation && ($0.pathContains.isEmpty || path.contains($0.pathContains))
            }) else { return nil }
            let rule = rules[i]
            if let n = rule.remaining {
                if n <= 1 { rules.remove(at: i) } else { rules[i].remaining = n - 1 }
            }
            return (rule.errno, rule.afterBytes)
        }
    }
}
