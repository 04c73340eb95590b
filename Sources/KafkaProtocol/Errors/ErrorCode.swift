/// A Kafka protocol error code (the `ErrorCode` fields of responses), with Kafka's name for it,
/// whether clients retry it, and a short explanation. One table serves the broker, the client
/// and the command line, so every error is named the way Kafka users know it.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }
    public init(_ code: Int16) { self.rawValue = code }

    public static let unknownServerError = ErrorCode(-1)
    public static let noError = ErrorCode(0)
    public static let offsetOutOfRange = ErrorCode(1)
    public static let corruptMessage = ErrorCode(2)
    public static let unknownTopicOrPartition = ErrorCode(3)
    public static let invalidFetchSize = ErrorCode(4)
    public static let leaderNotAvailable = ErrorCode(5)
    public static let notLeaderOrFollower = ErrorCode(6)
    public static let requestTimedOut = ErrorCode(7)
    public static let brokerNotAvailable = ErrorCode(8)
    public static let replicaNotAvailable = ErrorCode(9)
    public static let messageTooLarge = ErrorCode(10)
    public static let staleControllerEpoch = ErrorCode(11)
    public static let offsetMetadataTooLarge = ErrorCode(12)
    public static let networkException = ErrorCode(13)
    public static let coordinatorLoadInProgress = ErrorCode(14)
    public static let coordinatorNotAvailable = ErrorCode(15)
    public static let notCoordinator = ErrorCode(16)
    public static let invalidTopicException = ErrorCode(17)
    public static let recordListTooLarge = ErrorCode(18)
    public static let notEnoughReplicas = ErrorCode(19)
    public static let notEnoughReplicasAfterAppend = ErrorCode(20)
    public static let invalidRequiredAcks = ErrorCode(21)
    public static let illegalGeneration = ErrorCode(22)
    public static let inconsistentGroupProtocol = ErrorCode(23)
    public static let invalidGroupId = ErrorCode(24)
    public static let unknownMemberId = ErrorCode(25)
    public static let invalidSessionTimeout = ErrorCode(26)
    public static let rebalanceInProgress = ErrorCode(27)
    public static let invalidCommitOffsetSize = ErrorCode(28)
    public static let topicAuthorizationFailed = ErrorCode(29)
    public static let groupAuthorizationFailed = ErrorCode(30)
    public static let clusterAuthorizationFailed = ErrorCode(31)
    public static let invalidTimestamp = ErrorCode(32)
    public static let unsupportedSaslMechanism = ErrorCode(33)
    public static let illegalSaslState = ErrorCode(34)
    public static let unsupportedVersion = ErrorCode(35)
    public static let topicAlreadyExists = ErrorCode(36)
    public static let invalidPartitions = ErrorCode(37)
    public static let invalidReplicationFactor = ErrorCode(38)
    public static let invalidReplicaAssignment = ErrorCode(39)
    public static let invalidConfig = ErrorCode(40)
    public static let notController = ErrorCode(41)
    public static let invalidRequest = ErrorCode(42)
    public static let unsupportedForMessageFormat = ErrorCode(43)
    public static let policyViolation = ErrorCode(44)
    public static let outOfOrderSequenceNumber = ErrorCode(45)
    public static let duplicateSequenceNumber = ErrorCode(46)
    public static let invalidProducerEpoch = ErrorCode(47)
    public static let invalidTxnState = ErrorCode(48)
    public static let invalidProducerIdMapping = ErrorCode(49)
    public static let invalidTransactionTimeout = ErrorCode(50)
    public static let concurrentTransactions = ErrorCode(51)
    public static let transactionCoordinatorFenced = ErrorCode(52)
    public static let transactionalIdAuthorizationFailed = ErrorCode(53)
    public static let securityDisabled = ErrorCode(54)
    public static let operationNotAttempted = ErrorCode(55)
    public static let kafkaStorageError = ErrorCode(56)
    public static let logDirNotFound = ErrorCode(57)
    public static let saslAuthenticationFailed = ErrorCode(58)
    public static let unknownProducerId = ErrorCode(59)
    public static let reassignmentInProgress = ErrorCode(60)
    public static let delegationTokenAuthDisabled = ErrorCode(61)
    public static let delegationTokenNotFound = ErrorCode(62)
    public static let delegationTokenOwnerMismatch = ErrorCode(63)
    public static let delegationTokenRequestNotAllowed = ErrorCode(64)
    public static let delegationTokenAuthorizationFailed = ErrorCode(65)
    public static let delegationTokenExpired = ErrorCode(66)
    public static let invalidPrincipalType = ErrorCode(67)
    public static let nonEmptyGroup = ErrorCode(68)
    public static let groupIdNotFound = ErrorCode(69)
    public static let fetchSessionIdNotFound = ErrorCode(70)
    public static let invalidFetchSessionEpoch = ErrorCode(71)
    public static let listenerNotFound = ErrorCode(72)
    public static let topicDeletionDisabled = ErrorCode(73)
    public static let fencedLeaderEpoch = ErrorCode(74)
    public static let unknownLeaderEpoch = ErrorCode(75)
    public static let unsupportedCompressionType = ErrorCode(76)
    public static let staleBrokerEpoch = ErrorCode(77)
    public static let offsetNotAvailable = ErrorCode(78)
    public static let memberIdRequired = ErrorCode(79)
    public static let preferredLeaderNotAvailable = ErrorCode(80)
    public static let groupMaxSizeReached = ErrorCode(81)
    public static let fencedInstanceId = ErrorCode(82)
    public static let eligibleLeadersNotAvailable = ErrorCode(83)
    public static let electionNotNeeded = ErrorCode(84)
    public static let noReassignmentInProgress = ErrorCode(85)
    public static let groupSubscribedToTopic = ErrorCode(86)
    public static let invalidRecord = ErrorCode(87)
    public static let unstableOffsetCommit = ErrorCode(88)
    public static let throttlingQuotaExceeded = ErrorCode(89)
    public static let producerFenced = ErrorCode(90)
    public static let resourceNotFound = ErrorCode(91)
    public static let duplicateResource = ErrorCode(92)
    public static let unacceptableCredential = ErrorCode(93)
    public static let inconsistentVoterSet = ErrorCode(94)
    public static let invalidUpdateVersion = ErrorCode(95)
    public static let featureUpdateFailed = ErrorCode(96)
    public static let principalDeserializationFailure = ErrorCode(97)
    public static let snapshotNotFound = ErrorCode(98)
    public static let positionOutOfRange = ErrorCode(99)
    public static let unknownTopicId = ErrorCode(100)
    public static let duplicateBrokerRegistration = ErrorCode(101)
    public static let brokerIdNotRegistered = ErrorCode(102)
    public static let inconsistentTopicId = ErrorCode(103)
    public static let inconsistentClusterId = ErrorCode(104)
    public static let transactionalIdNotFound = ErrorCode(105)
    public static let fetchSessionTopicIdError = ErrorCode(106)
    public static let ineligibleReplica = ErrorCode(107)
    public static let newLeaderElected = ErrorCode(108)
    public static let offsetMovedToTieredStorage = ErrorCode(109)
    public static let fencedMemberEpoch = ErrorCode(110)
    public static let unreleasedInstanceId = ErrorCode(111)
    public static let unsupportedAssignor = ErrorCode(112)
    public static let staleMemberEpoch = ErrorCode(113)
    public static let mismatchedEndpointType = ErrorCode(114)
    public static let unsupportedEndpointType = ErrorCode(115)
    public static let unknownControllerId = ErrorCode(116)
    public static let unknownSubscriptionId = ErrorCode(117)
    public static let telemetryTooLarge = ErrorCode(118)
    public static let invalidRegistration = ErrorCode(119)
    public static let transactionAbortable = ErrorCode(120)
    public static let invalidRecordState = ErrorCode(121)
    public static let shareSessionNotFound = ErrorCode(122)
    public static let invalidShareSessionEpoch = ErrorCode(123)
    public static let fencedStateEpoch = ErrorCode(124)
    public static let invalidVoterKey = ErrorCode(125)
    public static let duplicateVoter = ErrorCode(126)
    public static let voterNotFound = ErrorCode(127)
    public static let invalidRegularExpression = ErrorCode(128)

    /// Kafka's name, e.g. `NOT_LEADER_OR_FOLLOWER`; `UNKNOWN_ERROR_CODE_n` for codes not in the table.
    public var name: String { Self.table[rawValue]?.name ?? "UNKNOWN_ERROR_CODE_\(rawValue)" }

    /// Whether a client should retry the operation (after refreshing metadata where relevant).
    public var isRetriable: Bool { Self.table[rawValue]?.retriable ?? false }

    /// A one-line explanation for people.
    public var message: String { Self.table[rawValue]?.message ?? "Unknown error code \(rawValue)." }

    public var isError: Bool { rawValue != 0 }

    public var description: String { "\(name) (\(rawValue))" }

    private static let table: [Int16: (name: String, retriable: Bool, message: String)] = {
        var t: [Int16: (name: String, retriable: Bool, message: String)] = [:]
        for row in rows { t[row.0] = (row.1, row.2, row.3) }
        return t
    }()

    private static let rows: [(Int16, String, Bool, String)] = [
        (-1, "UNKNOWN_SERVER_ERROR", false, "The server hit an unexpected error."),
        (0, "NONE", false, "No error."),
        (1, "OFFSET_OUT_OF_RANGE", false, "The requested offset is outside the range the partition holds."),
        (2, "CORRUPT_MESSAGE", true, "A record batch failed its CRC or size check."),
        (3, "UNKNOWN_TOPIC_OR_PARTITION", true, "The topic or partition does not exist on this broker."),
        (4, "INVALID_FETCH_SIZE", false, "The requested fetch size is invalid."),
        (5, "LEADER_NOT_AVAILABLE", true, "The partition has no leader right now (an election is under way)."),
        (6, "NOT_LEADER_OR_FOLLOWER", true, "This broker is not the leader (or a follower) of the partition."),
        (7, "REQUEST_TIMED_OUT", true, "The request timed out."),
        (8, "BROKER_NOT_AVAILABLE", false, "The broker is not available."),
        (9, "REPLICA_NOT_AVAILABLE", true, "The replica is not available for the requested partition."),
        (10, "MESSAGE_TOO_LARGE", false, "The batch is larger than the broker accepts (message.max.bytes)."),
        (11, "STALE_CONTROLLER_EPOCH", false, "The controller moved to another broker."),
        (12, "OFFSET_METADATA_TOO_LARGE", false, "The committed offset's metadata string is too large."),
        (13, "NETWORK_EXCEPTION", true, "The server disconnected before a response was received."),
        (14, "COORDINATOR_LOAD_IN_PROGRESS", true, "The coordinator is still loading its state."),
        (15, "COORDINATOR_NOT_AVAILABLE", true, "The coordinator is not available."),
        (16, "NOT_COORDINATOR", true, "This broker is not the coordinator for the group or transaction."),
        (17, "INVALID_TOPIC_EXCEPTION", false, "The topic name is invalid or the operation is not allowed on it."),
        (18, "RECORD_LIST_TOO_LARGE", false, "The batch is larger than the segment size."),
        (19, "NOT_ENOUGH_REPLICAS", true, "Fewer in-sync replicas than min.insync.replicas; the write was rejected."),
        (20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "The write was appended but fewer in-sync replicas than required acknowledged it."),
        (21, "INVALID_REQUIRED_ACKS", false, "acks must be -1, 0 or 1."),
        (22, "ILLEGAL_GENERATION", false, "The group generation is not current."),
        (23, "INCONSISTENT_GROUP_PROTOCOL", false, "The member's protocols do not match the group's."),
        (24, "INVALID_GROUP_ID", false, "The group id is invalid."),
        (25, "UNKNOWN_MEMBER_ID", false, "The coordinator does not know this member."),
        (26, "INVALID_SESSION_TIMEOUT", false, "The session timeout is outside group.min/max.session.timeout.ms."),
        (27, "REBALANCE_IN_PROGRESS", false, "The group is rebalancing; rejoin."),
        (28, "INVALID_COMMIT_OFFSET_SIZE", false, "The committed offset data size is invalid."),
        (29, "TOPIC_AUTHORIZATION_FAILED", false, "Not authorized for the topic."),
        (30, "GROUP_AUTHORIZATION_FAILED", false, "Not authorized for the group."),
        (31, "CLUSTER_AUTHORIZATION_FAILED", false, "Not authorized for the cluster."),
        (32, "INVALID_TIMESTAMP", false, "The timestamp is out of the accepted range."),
        (33, "UNSUPPORTED_SASL_MECHANISM", false, "The SASL mechanism is not supported."),
        (34, "ILLEGAL_SASL_STATE", false, "The request is not valid in the current SASL state."),
        (35, "UNSUPPORTED_VERSION", false, "The API version is not supported by this broker."),
        (36, "TOPIC_ALREADY_EXISTS", false, "A topic with this name already exists."),
        (37, "INVALID_PARTITIONS", false, "The number of partitions is invalid."),
        (38, "INVALID_REPLICATION_FACTOR", false, "The replication factor is invalid (at most the number of brokers)."),
        (39, "INVALID_REPLICA_ASSIGNMENT", false, "The replica assignment is invalid."),
        (40, "INVALID_CONFIG", false, "The configuration is invalid."),
        (41, "NOT_CONTROLLER", true, "This broker is not the active controller."),
        (42, "INVALID_REQUEST", false, "The request is malformed or not valid for this broker."),
        (43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false, "The message format does not support the request."),
        (44, "POLICY_VIOLATION", false, "The request violates a configured policy."),
        (45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, "The producer's sequence number is out of order."),
        (46, "DUPLICATE_SEQUENCE_NUMBER", false, "The producer's sequence number is a duplicate."),
        (47, "INVALID_PRODUCER_EPOCH", false, "The producer epoch is stale."),
        (48, "INVALID_TXN_STATE", false, "The transactional operation is invalid in the current state."),
        (49, "INVALID_PRODUCER_ID_MAPPING", false, "The producer id is not assigned to this transactional id."),
        (50, "INVALID_TRANSACTION_TIMEOUT", false, "The transaction timeout exceeds max.transaction.timeout.ms."),
        (51, "CONCURRENT_TRANSACTIONS", true, "Another operation on the same transaction is in progress."),
        (52, "TRANSACTION_COORDINATOR_FENCED", false, "The transaction coordinator is no longer current."),
        (53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, "Not authorized for the transactional id."),
        (54, "SECURITY_DISABLED", false, "Security features are disabled."),
        (55, "OPERATION_NOT_ATTEMPTED", false, "The broker did not attempt this operation."),
        (56, "KAFKA_STORAGE_ERROR", true, "The broker hit a disk error on the log."),
        (57, "LOG_DIR_NOT_FOUND", false, "The log directory does not exist."),
        (58, "SASL_AUTHENTICATION_FAILED", false, "SASL authentication failed."),
        (59, "UNKNOWN_PRODUCER_ID", false, "The broker has no state for this producer id."),
        (60, "REASSIGNMENT_IN_PROGRESS", false, "A partition reassignment is in progress."),
        (61, "DELEGATION_TOKEN_AUTH_DISABLED", false, "Delegation token authentication is disabled."),
        (62, "DELEGATION_TOKEN_NOT_FOUND", false, "The delegation token was not found."),
        (63, "DELEGATION_TOKEN_OWNER_MISMATCH", false, "The delegation token owner does not match."),
        (64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, "Delegation token requests are not allowed on this connection."),
        (65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, "Delegation token authorization failed."),
        (66, "DELEGATION_TOKEN_EXPIRED", false, "The delegation token has expired."),
        (67, "INVALID_PRINCIPAL_TYPE", false, "The principal type is not supported."),
        (68, "NON_EMPTY_GROUP", false, "The group is not empty."),
        (69, "GROUP_ID_NOT_FOUND", false, "The group does not exist."),
        (70, "FETCH_SESSION_ID_NOT_FOUND", true, "The fetch session was not found."),
        (71, "INVALID_FETCH_SESSION_EPOCH", true, "The fetch session epoch is invalid."),
        (72, "LISTENER_NOT_FOUND", true, "The leader has no endpoint for the listener the request came in on."),
        (73, "TOPIC_DELETION_DISABLED", false, "Topic deletion is disabled."),
        (74, "FENCED_LEADER_EPOCH", true, "The leader epoch in the request is older than the broker's."),
        (75, "UNKNOWN_LEADER_EPOCH", true, "The leader epoch in the request is newer than the broker's."),
        (76, "UNSUPPORTED_COMPRESSION_TYPE", false, "The compression type is not supported for this request version."),
        (77, "STALE_BROKER_EPOCH", false, "The broker epoch is stale."),
        (78, "OFFSET_NOT_AVAILABLE", true, "The leader's high watermark has not caught up yet."),
        (79, "MEMBER_ID_REQUIRED", false, "The group member needs a member id: rejoin with the one given."),
        (80, "PREFERRED_LEADER_NOT_AVAILABLE", true, "The preferred leader is not available."),
        (81, "GROUP_MAX_SIZE_REACHED", false, "The group has reached its maximum size."),
        (82, "FENCED_INSTANCE_ID", false, "Another member with the same group.instance.id joined."),
        (83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true, "No eligible leader is available."),
        (84, "ELECTION_NOT_NEEDED", true, "The leader election is not needed."),
        (85, "NO_REASSIGNMENT_IN_PROGRESS", false, "No partition reassignment is in progress."),
        (86, "GROUP_SUBSCRIBED_TO_TOPIC", false, "The group is still subscribed to the topic."),
        (87, "INVALID_RECORD", false, "A record failed the broker's validation."),
        (88, "UNSTABLE_OFFSET_COMMIT", true, "Pending transactional offset commits exist for the partition."),
        (89, "THROTTLING_QUOTA_EXCEEDED", true, "The throttling quota was exceeded."),
        (90, "PRODUCER_FENCED", false, "A newer producer with the same transactional id fenced this one."),
        (91, "RESOURCE_NOT_FOUND", false, "The resource was not found."),
        (92, "DUPLICATE_RESOURCE", false, "The resource is listed more than once."),
        (93, "UNACCEPTABLE_CREDENTIAL", false, "The credential does not meet the requirements."),
        (94, "INCONSISTENT_VOTER_SET", false, "The voter set does not match the quorum's."),
        (95, "INVALID_UPDATE_VERSION", false, "The update version is invalid."),
        (96, "FEATURE_UPDATE_FAILED", false, "The feature update failed."),
        (97, "PRINCIPAL_DESERIALIZATION_FAILURE", false, "The principal could not be deserialized."),
        (98, "SNAPSHOT_NOT_FOUND", false, "The snapshot was not found."),
        (99, "POSITION_OUT_OF_RANGE", false, "The requested position is outside the snapshot."),
        (100, "UNKNOWN_TOPIC_ID", true, "No topic has this id."),
        (101, "DUPLICATE_BROKER_REGISTRATION", false, "The broker id is already registered by another incarnation."),
        (102, "BROKER_ID_NOT_REGISTERED", false, "The broker id is not registered."),
        (103, "INCONSISTENT_TOPIC_ID", true, "The topic id does not match the topic's."),
        (104, "INCONSISTENT_CLUSTER_ID", false, "The cluster id does not match this cluster's."),
        (105, "TRANSACTIONAL_ID_NOT_FOUND", false, "The transactional id was not found."),
        (106, "FETCH_SESSION_TOPIC_ID_ERROR", true, "The fetch session found a topic id error."),
        (107, "INELIGIBLE_REPLICA", false, "The new ISR contains an ineligible replica."),
        (108, "NEW_LEADER_ELECTED", false, "A new leader was elected for the partition."),
        (109, "OFFSET_MOVED_TO_TIERED_STORAGE", false, "The offset has moved to tiered storage."),
        (110, "FENCED_MEMBER_EPOCH", false, "The member epoch is fenced."),
        (111, "UNRELEASED_INSTANCE_ID", false, "The instance id is still used by another member."),
        (112, "UNSUPPORTED_ASSIGNOR", false, "The assignor is not supported."),
        (113, "STALE_MEMBER_EPOCH", false, "The member epoch is stale."),
        (114, "MISMATCHED_ENDPOINT_TYPE", false, "The request was sent to an endpoint of the wrong type."),
        (115, "UNSUPPORTED_ENDPOINT_TYPE", false, "This endpoint type does not support the request."),
        (116, "UNKNOWN_CONTROLLER_ID", false, "The controller id is unknown."),
        (117, "UNKNOWN_SUBSCRIPTION_ID", false, "The client telemetry subscription id is unknown."),
        (118, "TELEMETRY_TOO_LARGE", false, "The client telemetry payload is too large."),
        (119, "INVALID_REGISTRATION", false, "The controller registration is invalid."),
        (120, "TRANSACTION_ABORTABLE", false, "The transaction must be aborted."),
        (121, "INVALID_RECORD_STATE", false, "The record state is invalid."),
        (122, "SHARE_SESSION_NOT_FOUND", true, "The share session was not found."),
        (123, "INVALID_SHARE_SESSION_EPOCH", true, "The share session epoch is invalid."),
        (124, "FENCED_STATE_EPOCH", false, "The share coordinator state epoch is fenced."),
        (125, "INVALID_VOTER_KEY", false, "The voter key does not match the receiving replica's."),
        (126, "DUPLICATE_VOTER", false, "The voter is already in the voter set."),
        (127, "VOTER_NOT_FOUND", false, "The voter is not in the voter set."),
        (128, "INVALID_REGULAR_EXPRESSION", false, "The regular expression is not valid."),
    ]
}
