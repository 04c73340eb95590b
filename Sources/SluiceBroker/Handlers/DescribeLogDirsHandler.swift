import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// DescribeLogDirs (key 35), versions 0-4.
///
/// - v0-1: the broker's log directory (Sluice has one) with each partition's size on disk and
///   offset lag 0 (no future replicas). Topics null means all. v2+: flexible. v3+: top-level
///   error code. v4+: the directory's total and usable bytes (statvfs).
struct DescribeLogDirsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: BrokerServices

    func handle(_ request: DescribeLogDirsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeLogDirsResponse>> {
        services.offLoop(context) { [services] in
            let logs = services.replicas.logs
            let snapshot = services.metadata.snapshot
            var wanted: [String: [Int32]] = [:]
            if let topics = request.topics {
                for topic in topics { wanted[topic.topic, default: []] += topic.partitions }
            } else {
                for topic in snapshot.topics.values { wanted[topic.name] = topic.partitions.indices.map { Int32($0) } }
            }
            var result = DescribeLogDirsResponse.DescribeLogDirsResult(errorCode: 0, logDir: services.config.dataDirectory)
            for (name, partitions) in wanted.sorted(by: { $0.key < $1.key }) {
                let found = partitions.compactMap { index -> DescribeLogDirsResponse.DescribeLogDirsPartition? in
                    guard let log = logs.log(for: TopicPartition(name, index)) else { return nil }
                    return .init(partitionIndex: index, partitionSize: log.sizeInBytes, offsetLag: 0, isFutureKey: false)
                }
                if !found.isEmpty { result.topics.append(.init(name: name, partitions: found)) }
            }
            var stats = statvfs()
            if statvfs(services.config.dataDirectory, &stats) == 0 {
                result.totalBytes = Int64(stats.f_blocks) * Int64(stats.f_frsize)
                result.usableBytes = Int64(stats.f_bavail) * Int64(stats.f_frsize)
            }
            return HandlerReply(DescribeLogDirsResponse(results: [result]))
        }
    }
}
