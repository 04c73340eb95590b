import Dispatch
import Foundation
import SluiceBroker

/// Waits for SIGTERM or SIGINT (installed before the broker starts, so none is lost).
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<String>

    init() {
        var continuation: AsyncStream<String>.Continuation!
        stream = AsyncStream { continuation = $0 }
        let queue = DispatchQueue(label: "sluice.signals")
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            let yield = continuation!
            source.setEventHandler { yield.yield(name) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func next() async -> String {
        for await name in stream { return name }
        return "end of signals"
    }
}

/// `--exit-with-parent`: the kernel sends SIGTERM when the parent dies (`PR_SET_PDEATHSIG`);
/// a parent that died before that was set is caught by comparing `getppid()`.
enum ParentWatch {
    static func install(expectedParent: pid_t) {
        #if os(Linux)
        // prctl is variadic in C, which Swift cannot call directly; its integer arguments are
        // passed the same way through a fixed-arity pointer on Linux's ABIs.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        let PR_SET_PDEATHSIG: Int32 = 1
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") {
            let prctl = unsafeBitCast(symbol, to: Prctl.self)
            _ = prctl(PR_SET_PDEATHSIG, UInt(SIGTERM), 0, 0, 0)
        }
        #endif
        if getppid() != expectedParent {
            FileHandle.standardError.write(Data("sluice broker: the parent process is gone; exiting\n".utf8))
            exit(1)
        }
    }
}

/// An exclusive lock on the data directory, so that two brokers never share one.
struct DataDirectoryLock {
    private let fd: Int32

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/.lock"
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw BrokerConfigError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw BrokerConfigError("the data directory \(directory) is in use by another broker")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
