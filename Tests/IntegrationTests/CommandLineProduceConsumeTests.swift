import Foundation
import KafkaProtocol
import NIOCore
import SluiceClient
import Testing

/// `sluice produce` and `sluice consume` against a real broker, and against real clients:
/// kcat and confluent-kafka write what `sluice consume` reads, and read what `sluice produce` writes.
@Suite(.serialized, .onTestThreads) struct CommandLineProduceConsumeTests {
    private func records(_ output: ClientRunner.Output) -> [[String: Any]] { output.records }

    @Test func keysHeadersAndPartitionsRoundTrip() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-rt")
        try await SluiceCLI.ok(["topic", "create", topic, "-p", "4"], bootstrap: b)
        let keys = (0..<40).map { "user-\($0)" }
        let input = keys.map { "\($0)|payload of \($0)" }.joined(separator: "\n") + "\n"
        let produced = try await SluiceCLI.ok(["produce", topic, "--key-separator", "|", "-H", "app=cli", "-H", "v=2", "--json"], bootstrap: b, input: input)
        let summary = try SluiceCLI.json(produced) as! [String: Any]
        #expect(summary["sent"] as? Int == 40)

        let consumed = try await SluiceCLI.ok(["consume", topic, "--from-beginning", "--exit-at-end", "--format", "json"], bootstrap: b)
        let got = records(consumed)
        #expect(got.count == 40)
        for r in got {
            let key = r["key"] as! String
            #expect(r["value"] as? String == "payload of \(key)")
            // The partition is the Java client's murmur2 mapping of the key.
            #expect(r["partition"] as? Int == Int(Partitioner.partition(forKey: ByteBuffer(string: key), partitionCount: 4)))
            let headers = r["headers"] as! [[String: Any]]
            #expect(headers.map { "\($0["key"]!)=\($0["value"]!)" } == ["app=cli", "v=2"])
        }
        // Offsets are contiguous per partition, in input order.
        for p in 0..<4 {
            let offsets = got.filter { $0["partition"] as? Int == p }.map { $0["offset"] as! Int }
            #expect(offsets == Array(0..<offsets.count))
        }

        // -n stops after COUNT; --partition and --offset pick where to start; text with a key separator.
        let partition = Int(Partitioner.partition(forKey: ByteBuffer(string: "user-7"), partitionCount: 4))
        let some = try await SluiceCLI.ok(["consume", topic, "-p", String(partition), "--offset", "0", "-n", "2", "-k", "="], bootstrap: b)
        #expect(some.lines.count == 2)
        #expect(some.lines.allSatisfy { $0.hasPrefix("user-") && $0.contains("=payload of user-") })

        // A line without the separator is bad input: exit 65, naming the line.
        let bad = try await SluiceCLI.run(["produce", topic, "-k", "|"], bootstrap: b, input: "a|1\nno separator\n")
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("line 2 has no key separator"))
        // A partition that does not exist.
        let wrong = try await SluiceCLI.run(["produce", topic, "-p", "9"], bootstrap: b, input: "x\n")
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("UNKNOWN_TOPIC_OR_PARTITION (3)"))
    }

    @Test(arguments: ["gzip", "snappy", "lz4", "zstd"])
    func compressedProduceIsStoredCompressedAndReadsBack(codec: String) async throws {
        let broker = try await SharedBroker.get()
        let topic = SharedBroker.topic("cli-\(codec)")
        try await SluiceCLI.ok(["topic", "create", topic, "-p", "1"], bootstrap: broker.bootstrap)
        let lines = (0..<300).map { "line \($0) " + String(repeating: "abc", count: $0 % 20) }
        try await SluiceCLI.ok(["produce", topic, "--compression", codec], bootstrap: broker.bootstrap, input: lines.joined(separator: "\n"))
        let batches = try await SharedBroker.storedBatches(broker, topic: topic)
        #expect(!batches.isEmpty)
        #expect(batches.allSatisfy { $0.compression == CompressionCodec(name: codec) })
        let out = try await SluiceCLI.ok(["consume", topic, "--from-beginning", "-e"], bootstrap: broker.bootstrap)
        #expect(out.lines == lines)
    }

    @Test func consumeByTimestampStartsAtTheFirstRecordAtOrAfterIt() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-ts")
        try await SluiceCLI.ok(["topic", "create", topic, "-p", "1"], bootstrap: b)
        try await SluiceCLI.ok(["produce", topic], bootstrap: b, input: "early-1\nearly-2\n")
        // The early records were stamped at or before `t0`; wait for the clock's next millisecond.
        let t0 = Int64(Date().timeIntervalSince1970 * 1000)
        var cut = t0
        while cut == t0 { cut = Int64(Date().timeIntervalSince1970 * 1000) }
        try await SluiceCLI.ok(["produce", topic], bootstrap: b, input: "late-1\nlate-2\n")
        let out = try await SluiceCLI.ok(["consume", topic, "--timestamp", String(cut), "--exit-at-end"], bootstrap: b)
        #expect(out.lines == ["late-1", "late-2"])
    }

    @Test func ctrlCStopsAFollowingConsumerCleanly() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-follow")
        try await SluiceCLI.ok(["topic", "create", topic, "-p", "1"], bootstrap: b)
        let follower = ChildProcess(BrokerProcess.binary, ["consume", topic, "--bootstrap", b])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-follow-\(UUID().uuidString.prefix(8))").path
        FileManager.default.createFile(atPath: out, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out) }
        follower.process.standardOutput = FileHandle(forWritingAtPath: out)
        follower.process.standardError = FileHandle.nullDevice
        try await withResource(follower, stop: { await $0.stop(grace: .seconds(10)) }) { follower in
            try await follower.start()
            // Keep producing until the follower prints a line (it starts at the end of the topic).
            let firstLine = { (try? String(contentsOfFile: out, encoding: .utf8))?.split(separator: "\n").first.map(String.init) }
            var line: String?
            let deadline = Date().addingTimeInterval(30)
            while line == nil && Date() < deadline {
                try await SluiceCLI.ok(["produce", topic], bootstrap: b, input: "live\n")
                _ = await eventually(timeout: .seconds(1), every: .milliseconds(20)) { firstLine() != nil }
                line = firstLine()
            }
            #expect(line == "live")
            follower.signal(SIGINT)
            let exited = await follower.exited(within: .seconds(15))
            #expect(exited)
            #expect(await follower.stop() == 0)
        }
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"))
    func kcatAndSluiceReadEachOther() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-kcat")
        try await SluiceCLI.ok(["topic", "create", topic, "-p", "2"], bootstrap: b)
        let fromKcat = (0..<25).map { "k\($0):kcat value \($0)" }.joined(separator: "\n") + "\n"
        let produced = try await ClientRunner.run("kcat", ["-P", "-b", b, "-t", topic, "-K:", "-H", "src=kcat"], input: Data(fromKcat.utf8))
        try #require(produced.status == 0, "\(produced.stderr)")
        let read = records(try await SluiceCLI.ok(["consume", topic, "--from-beginning", "-e", "--format", "json"], bootstrap: b))
        #expect(Set(read.map { "\($0["key"]!):\($0["value"]!)" }) == Set(fromKcat.split(separator: "\n").map(String.init)))
        #expect(read.allSatisfy { ($0["headers"] as? [[String: Any]])?.first?["value"] as? String == "kcat" })

        let topic2 = SharedBroker.topic("cli-kcat2")
        try await SluiceCLI.ok(["topic", "create", topic2, "-p", "2"], bootstrap: b)
        let fromSluice = (0..<25).map { "s\($0):sluice value \($0)" }.joined(separator: "\n") + "\n"
        try await SluiceCLI.ok(["produce", topic2, "-k", ":", "-H", "src=sluice"], bootstrap: b, input: fromSluice)
        let kcat = try await ClientRunner.run("kcat", ["-C", "-b", b, "-t", topic2, "-e", "-q", "-f", "%k:%s|%h|%p\\n"])
        try #require(kcat.status == 0, "\(kcat.stderr)")
        #expect(Set(kcat.lines.map { String($0.split(separator: "|")[0]) }) == Set(fromSluice.split(separator: "\n").map(String.init)))
        for line in kcat.lines {
            let parts = line.split(separator: "|").map(String.init)
            let key = String(parts[0].split(separator: ":")[0])
            #expect(parts[1] == "src=sluice")
            #expect(Int(parts[2]) == Int(Partitioner.partition(forKey: ByteBuffer(string: key), partitionCount: 2)))
        }
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func confluentKafkaAndSluiceReadEachOther() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-ck")
        try await SluiceCLI.ok(["topic", "create", topic, "-p", "5"], bootstrap: b)
        let keys = ["21", "foobar", "abc", "a-little-bit-long-string"] + (0..<30).map { "key-\($0)" }
        let delivered = try await ClientRunner.python("cli_interop.py", ["produce", b, topic] + keys).records
        #expect(delivered.count == keys.count)
        // librdkafka's murmur2_random and the Swift partitioner agree on every key.
        for d in delivered {
            let key = d["key"] as! String
            #expect(d["partition"] as? Int == Int(Partitioner.partition(forKey: ByteBuffer(string: key), partitionCount: 5)), "key \(key)")
        }
        let read = records(try await SluiceCLI.ok(["consume", topic, "--from-beginning", "-e", "--format", "json"], bootstrap: b))
        #expect(Set(read.map { "\($0["key"]!)=\($0["value"]!)@\($0["partition"]!)" })
            == Set(delivered.map { "\($0["key"]!)=v-\($0["key"]!)@\($0["partition"]!)" }))

        let topic2 = SharedBroker.topic("cli-ck2")
        try await SluiceCLI.ok(["topic", "create", topic2, "-p", "3"], bootstrap: b)
        let lines = (0..<30).map { "key-\($0);sluice \($0)" }
        try await SluiceCLI.ok(["produce", topic2, "-k", ";", "-H", "from=sluice", "--acks", "1"], bootstrap: b, input: lines.joined(separator: "\n"))
        let got = try await ClientRunner.python("cli_interop.py", ["consume", b, topic2, "30"]).records
        #expect(Set(got.map { "\($0["key"]!);\($0["value"]!)" }) == Set(lines))
        #expect(got.allSatisfy { ($0["headers"] as? [String: Any])?["from"] as? String == "sluice" })
        #expect(got.allSatisfy {
            $0["partition"] as? Int == Int(Partitioner.partition(forKey: ByteBuffer(string: $0["key"] as! String), partitionCount: 3))
        })
    }
}
