import Foundation
import KafkaProtocol
import Testing

/// Brokers joining and leaving a running cluster, and the `sluice cluster` commands.
@Suite(.serialized, .onTestThreads) struct ClusterMembershipTests {
    /// A fourth broker (a metadata observer) joins, gets replicas and leaderships of a new topic,
    /// serves clients, then leaves with a controlled shutdown (its leaderships move before it
    /// stops) and is unregistered — with a producer running throughout.
    @Test func aNewBrokerJoinsServesAndLeaves() async throws {
        guard Clients.shouldRun(Clients.confluentKafka) else {
            print("skipped: confluent-kafka is not installed")
            return
        }
        try await ClusterHarness.with(brokers: 3) { cluster in
            try await cluster.startAll()
            try await ClusterHarness.waitFor("3 brokers", seconds: 30) { try await ClusterProcessTests.metadata(cluster).brokers.count == 3 }
            let newId = try cluster.addBrokerNode()
            try await cluster.start(newId)
            try await ClusterHarness.waitFor("broker \(newId) registered", seconds: 30) {
                try await ClusterProcessTests.metadata(cluster).brokers.map(\.nodeId).contains(newId)
            }
            // It observes the quorum, it does not vote.
            let quorum = try await RawKafkaConnection(port: cluster.nodes[newId]!.port).roundTrip(DescribeQuorumRequest(topics: [
                .init(topicName: "__cluster_metadata", partitions: [.init(partitionIndex: 0)])]), version: 1)
            #expect(quorum.topics.first?.partitions.first?.currentVoters.map(\.replicaId).sorted() == [1, 2, 3])

            _ = try await ClientRunner.python("cluster_client.py", ["create", cluster.bootstrap, "joined", "4", "3"], timeout: 60)
            var placed = MetadataResponse()
            try await ClusterHarness.waitFor("the topic on broker 1", seconds: 10) {
                placed = try await ClusterProcessTests.metadata(cluster, topic: "joined")
                return placed.topics.first?.partitions.count == 4
            }
            let partitions = try #require(placed.topics.first?.partitions)
            #expect(partitions.filter { $0.replicaNodes.contains(newId) }.count == 3, "3 of 4 partitions × RF 3 over 4 brokers")
            #expect(partitions.contains { $0.leaderId == newId })

            let stopFile = cluster.directory + "/stop-joined"
            let producerOut = cluster.directory + "/joined.out"
            let producer = ChildProcess("/usr/bin/env", ["python3", ClientRunner.clientsDirectory.appendingPathComponent("cluster_client.py").path,
                                                          "produce", cluster.bootstrap, "joined", "90", stopFile])
            FileManager.default.createFile(atPath: producerOut, contents: nil)
            // One handle for both streams: two would each write from offset 0 over the other.
            let producerLog = FileHandle(forWritingAtPath: producerOut)
            producer.process.standardOutput = producerLog
            producer.process.standardError = producerLog
            try await withResource(producer, stop: { await $0.stop(grace: .seconds(10)) }) { producer in
                try await producer.start()
                try await Task.sleep(for: .milliseconds(1500))

                // Controlled shutdown: the leaderships move first, then the process exits.
                let process = try #require(cluster.nodes[newId]?.process)
                process.signal(SIGTERM)
                #expect(await process.exited(within: .seconds(20)))
                // The controller committed the moves before letting it stop; the broker asked may see
                // them one metadata fetch later.
                var after = MetadataResponse()
                let moved = try? await ClusterHarness.waitFor("leaderships moved off broker \(newId)", seconds: 10) {
                    after = try await ClusterProcessTests.metadata(cluster, topic: "joined", avoiding: [newId])
                    return after.topics.first?.partitions.allSatisfy { $0.leaderId >= 0 && $0.leaderId != newId } == true
                }
                #expect(moved != nil, "no partition went offline: \(after.topics.first?.partitions.map { ($0.partitionIndex, $0.leaderId) } ?? [])")
                let unregistered = try await RawKafkaConnection(port: cluster.nodes[1]!.port).roundTrip(UnregisterBrokerRequest(brokerId: newId), version: 0)
                #expect(unregistered.errorCode == 0)
                try await ClusterHarness.waitFor("broker \(newId) gone", seconds: 10) {
                    !(try await ClusterProcessTests.metadata(cluster, avoiding: [newId]).brokers.map(\.nodeId).contains(newId))
                }
                try await Task.sleep(for: .seconds(1))

                FileManager.default.createFile(atPath: stopFile, contents: nil)
                await producer.exited(within: .seconds(90))
            }
            let output = (try? String(contentsOfFile: producerOut, encoding: .utf8)) ?? ""
            let stats = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }
                .flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }, "producer:\n\(output)")
            print("producer while broker \(newId) joined and left: \(stats["sent"] ?? "?") sent, \(stats["delivered"] ?? "?") delivered")
            #expect((stats["errors"] as? [String])?.isEmpty == true, "\(stats["errors"] ?? "")")
            #expect(stats["sent"] as? Int == stats["delivered"] as? Int)
        }
    }

    /// A fifth broker joins a running cluster (3 voters + broker 4), a reassignment moves a
    /// replica onto it (copied by follower fetching, then the old one removed), and broker 4 is
    /// decommissioned (`sluice cluster decommission`: its replicas move away, then it is
    /// unregistered) — while confluent-kafka produces and a consumer group reads throughout.
    /// Afterwards every acknowledged record is there.
    @Test func reassignmentAndDecommissionWhileProducingAndConsuming() async throws {
        guard Clients.shouldRun(Clients.confluentKafka) else { return }
        try await ClusterHarness.with(brokers: 3) { cluster in
            try cluster.addBrokerNode()
            try await cluster.startAll()
            try await ClusterHarness.waitFor("4 brokers", seconds: 30) { try await ClusterProcessTests.metadata(cluster).brokers.count == 4 }
            _ = try await ClientRunner.python("cluster_client.py", ["create", cluster.bootstrap, "moving", "4", "3"], timeout: 60)
            try await ClusterHarness.waitFor("the topic everywhere", seconds: 10) {
                try await ClusterProcessTests.metadata(cluster, topic: "moving").topics.first?.partitions.count == 4
            }
            let stopFile = cluster.directory + "/stop-moving"
            let clients = [Self.background(cluster, ["produce", cluster.bootstrap, "moving", "180", stopFile], output: "producer.out"),
                           Self.background(cluster, ["follow", cluster.bootstrap, "moving", stopFile], output: "consumer.out")]
            try await withResource(clients, stop: { for p in $0 { await p.stop(grace: .seconds(10)) } }) { clients in
                let (producer, consumer) = (clients[0], clients[1])
                for client in clients { try await client.start() }
                try await Task.sleep(for: .seconds(1))

                let newId = try cluster.addBrokerNode()
                try await cluster.start(newId)
                try await ClusterHarness.waitFor("broker \(newId)", seconds: 30) {
                    try await ClusterProcessTests.metadata(cluster).brokers.map(\.nodeId).contains(newId)
                }
                let p0 = try #require(try await ClusterProcessTests.metadata(cluster, topic: "moving").topics.first?.partitions.first { $0.partitionIndex == 0 })
                let target = [newId] + p0.replicaNodes.dropLast()
                let reassigned = try await SluiceCLI.run(["cluster", "reassign", "--topic", "moving", "--partition", "0",
                                                    "--replicas", target.map(String.init).joined(separator: ","), "--wait"],
                                                   bootstrap: cluster.bootstrap, timeout: 120)
                #expect(reassigned.status == 0, "\(reassigned.stdout)\(reassigned.stderr)\n\(cluster.allLogs())")
                try await ClusterHarness.waitFor("moving-0 on \(target)", seconds: 10) {
                    let p = try await ClusterProcessTests.metadata(cluster, topic: "moving").topics.first?.partitions.first { $0.partitionIndex == 0 }
                    return p?.replicaNodes == target && Set(p?.isrNodes ?? []) == Set(target)
                }

                let decommissioned = try await SluiceCLI.run(["cluster", "decommission", "--broker", "4"], bootstrap: cluster.bootstrap, timeout: 180)
                #expect(decommissioned.status == 0, "\(decommissioned.stdout)\(decommissioned.stderr)\n\(cluster.allLogs())")
                let after = try await ClusterProcessTests.metadata(cluster, topic: "moving")
                #expect(after.topics.first?.partitions.allSatisfy { !$0.replicaNodes.contains(4) && $0.isrNodes.count == 3 } == true, "\(after)")
                if let process = cluster.nodes[4]?.process, process.isRunning {
                    process.signal(SIGTERM)
                    await process.exited(within: .seconds(20))
                }
                try await Task.sleep(for: .seconds(1))

                FileManager.default.createFile(atPath: stopFile, contents: nil)
                await producer.exited(within: .seconds(90))
                await consumer.exited(within: .seconds(30))
            }
            let produced = try Self.summary(cluster, "producer.out")
            let followed = try Self.summary(cluster, "consumer.out")
            let delivered = produced["delivered"] as? Int ?? -1
            print("while reassigning and decommissioning: \(produced["sent"] ?? "?") sent, \(delivered) delivered, \(followed["count"] ?? "?") consumed")
            #expect((produced["errors"] as? [String])?.isEmpty == true, "\(produced)")
            #expect(produced["sent"] as? Int == delivered)
            #expect((followed["errors"] as? [String])?.isEmpty == true, "\(followed)")
            let all = try await ClientRunner.python("cluster_client.py", ["consume", cluster.bootstrap, "moving", String(delivered)], timeout: 120)
            #expect(all.records.first?["count"] as? Int == delivered, "every acknowledged record is there: \(all.stdout)")
        }
    }

    /// A `cluster_client.py` run in the background (not started yet), writing to `output`.
    static func background(_ cluster: ClusterHarness, _ arguments: [String], output: String) -> ChildProcess {
        let process = ChildProcess("/usr/bin/env", ["python3", ClientRunner.clientsDirectory.appendingPathComponent("cluster_client.py").path] + arguments)
        let path = cluster.directory + "/" + output
        FileManager.default.createFile(atPath: path, contents: nil)
        // One handle for both streams: two would each write from offset 0 over the other.
        let processLog = FileHandle(forWritingAtPath: path)
        process.process.standardOutput = processLog
        process.process.standardError = processLog
        return process
    }

    static func summary(_ cluster: ClusterHarness, _ output: String) throws -> [String: Any] {
        let text = (try? String(contentsOfFile: cluster.directory + "/" + output, encoding: .utf8)) ?? ""
        return try #require(text.split(separator: "\n").last { $0.hasPrefix("{") }
            .flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }, "\(output):\n\(text)")
    }

    /// `sluice cluster up`, `status`, `down` on a temporary directory.
    @Test func clusterUpStatusDown() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-up-\(UUID().uuidString.prefix(8))").path
        try await withResource(directory, stop: Self.clusterDown) { directory in
            let up = try await SluiceCLI.run(["cluster", "up", "--brokers", "3", "--data-dir", directory], bootstrap: nil, timeout: 90)
            try #require(up.status == 0, "\(up.stdout)\n\(up.stderr)")
            let bootstrap = try String(contentsOfFile: directory + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(bootstrap.split(separator: ",").count == 3)
            #expect(up.stdout.contains("bootstrap servers: \(bootstrap)"))

            // The client commands find the cluster through its bootstrap file.
            let status = try await SluiceCLI.run(["cluster", "status", "--data-dir", directory], bootstrap: nil)
            #expect(status.status == 0 && status.stdout.contains("3 of 3 broker process(es) running"), "\(status.stdout)")
            #expect(status.stdout.split(separator: "\n").filter { $0.contains("serving") }.count == 3, "\(status.stdout)")
            let described = try await SluiceCLI.run(["cluster", "describe"], bootstrap: bootstrap)
            #expect(described.status == 0 && described.stdout.contains("brokers: 3"), "\(described.stdout)\(described.stderr)")

            let down = try await SluiceCLI.run(["cluster", "down", "--data-dir", directory], bootstrap: nil, timeout: 120)
            #expect(down.status == 0)
            #expect(down.stdout.split(separator: "\n").filter { $0.hasSuffix("stopped") }.count == 3, "clean stops: \(down.stdout)")
            let stopped = try await SluiceCLI.run(["cluster", "status", "--data-dir", directory], bootstrap: nil)
            #expect(stopped.stdout.contains("0 of 3 broker process(es) running"), "\(stopped.stdout)")
        }
    }

    /// The end of a `cluster up` test, whatever happened: `cluster down`, SIGKILL for any of its
    /// brokers still running, the directory removed.
    static func clusterDown(_ directory: String) async {
        _ = try? await SluiceCLI.run(["cluster", "down", "--data-dir", directory, "--grace", "5"], bootstrap: nil)
        for pid in processes(mentioning: directory) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A broker of a `cluster up` cluster dies and is restarted by hand; `cluster down` finds it
    /// through the lock and pid it keeps in its data directory and stops it. The pid that
    /// cluster.json still names for it now belongs to another process, which is never signalled.
    @Test func clusterDownStopsABrokerRestartedByHandAndNeverAStalePid() async throws {
        let seen = try await Self.restartByHandThenDown()
        #expect(seen.up.status == 0, "\(seen.up.stdout)\n\(seen.up.stderr)")
        #expect(seen.startedByUp == Set(seen.saved.values), "cluster.json names the brokers `cluster up` started")
        #expect(seen.status.stdout.contains("3 of 3 broker process(es) running"), "\(seen.status.stdout)")
        #expect(seen.status.stdout.contains(" \(seen.restartedPid) "), "status shows the running pid: \(seen.status.stdout)")
        #expect(seen.down.status == 0, "\(seen.down.stderr)")
        #expect(seen.down.stdout.contains("broker 2 (pid \(seen.restartedPid)) stopped"), "\(seen.down.stdout)")
        #expect(seen.down.stdout.split(separator: "\n").filter { $0.hasSuffix("stopped") }.count == 3, "\(seen.down.stdout)")
        #expect(seen.leftAfterDown.isEmpty, "no broker of the cluster is left: \(seen.leftAfterDown)")
        #expect(seen.bystanderSurvived, "the stale pid was not signalled")
    }

    struct RestartByHand: Sendable {
        var up = ClientRunner.Output(status: -1, stdout: "", stderr: "")
        var saved: [Int32: Int32] = [:]
        var startedByUp: Set<Int32> = []
        var restartedPid: Int32 = 0
        var status = ClientRunner.Output(status: -1, stdout: "", stderr: "")
        var down = ClientRunner.Output(status: -1, stdout: "", stderr: "")
        var leftAfterDown: [Int32] = []
        var bystanderSurvived = false
    }

    static func restartByHandThenDown() async throws -> RestartByHand {
        var seen = RestartByHand()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-down-\(UUID().uuidString.prefix(8))").path
        let bystander = ChildProcess("/bin/sleep", ["300"])
        let restarted = ChildProcess(BrokerProcess.binary, ["broker", "--config", directory + "/broker-2.properties"])
        return try await withResource((directory, bystander, restarted), stop: { directory, bystander, restarted in
            await clusterDown(directory)
            // SIGKILL: a `sleep` has nothing to shut down cleanly.
            await bystander.kill9()
            await restarted.kill9()
        }) { directory, bystander, restarted in
            seen.up = try await SluiceCLI.run(["cluster", "up", "--brokers", "3", "--data-dir", directory], bootstrap: nil, timeout: 90)
            guard seen.up.status == 0 else { return seen }
            seen.saved = try savedPids(directory)
            seen.startedByUp = Set(processes(mentioning: directory))

            // Broker 2 crashes and is started again by hand, as a user (or the console) would.
            let crashed = seen.saved[2]!
            kill(crashed, SIGKILL)
            try await ClusterHarness.waitFor("broker 2 gone", seconds: 10) { !processes(mentioning: directory).contains(crashed) }
            restarted.process.standardOutput = FileHandle.nullDevice
            let log = FileHandle(forWritingAtPath: directory + "/broker-2.log")
            log?.seekToEndOfFile()
            restarted.process.standardError = log
            try await restarted.start()
            seen.restartedPid = restarted.pid
            // Its old pid is now another process's (pids are reused): cluster.json says it is broker 2.
            try await bystander.start()
            try setSavedPid(directory, broker: 2, pid: bystander.pid)
            let lockFile = directory + "/broker-2/.lock"
            try await ClusterHarness.waitFor("the restarted broker's pid in its lock file", seconds: 30) {
                (try? String(contentsOfFile: lockFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                    == String(restarted.pid)
            }
            try await ClusterHarness.waitFor("3 brokers running", seconds: 30) {
                seen.status = try await SluiceCLI.run(["cluster", "status", "--data-dir", directory], bootstrap: nil)
                return seen.status.stdout.contains("3 of 3 broker process(es) running")
            }
            seen.down = try await SluiceCLI.run(["cluster", "down", "--data-dir", directory], bootstrap: nil, timeout: 120)
            await restarted.exited(within: .seconds(10))
            seen.leftAfterDown = processes(mentioning: directory)
            seen.bystanderSurvived = bystander.isRunning
            return seen
        }
    }

    /// Live processes whose command line mentions `text` (the brokers of a cluster name its directory).
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  !stat.split(separator: ")").last!.trimmingCharacters(in: .whitespaces).hasPrefix("Z") else { return false }
            return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text)
        }
    }

    static func savedPids(_ directory: String) throws -> [Int32: Int32] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/cluster.json"))
        let members = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["members"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: members.map { (Int32($0["id"] as! Int), Int32($0["pid"] as! Int)) })
    }

    static func setSavedPid(_ directory: String, broker: Int32, pid: Int32) throws {
        let url = URL(fileURLWithPath: directory + "/cluster.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var members = try #require(object["members"] as? [[String: Any]])
        for index in members.indices where members[index]["id"] as? Int == Int(broker) { members[index]["pid"] = Int(pid) }
        object["members"] = members
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }
}
