"""Kafka behaviours driven through confluent-kafka (librdkafka), printing one JSON line per
result for KafkaBehaviourInteropTests.

    python3 kafka_behaviours.py deprecated-configs --bootstrap HOST:PORT --topic T
    python3 kafka_behaviours.py record-errors --bootstrap HOST:PORT --topic T --variation 0|1
    python3 kafka_behaviours.py broker-configs --bootstrap HOST:PORT --topic T --broker ID
    python3 kafka_behaviours.py follower-fetch --bootstrap HOST:PORT --topic T
"""
import argparse
import json
import time

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                   NewTopic, ResourceType)


def emit(**fields):
    print(json.dumps(fields, default=str), flush=True)


def create_topic(admin, topic, config=None, partitions=1):
    futures = admin.create_topics([NewTopic(topic, partitions, 1, config=config or {})], request_timeout=30)
    futures[topic].result(timeout=60)


def describe_topic(admin, topic):
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource], request_timeout=30)[resource].result(timeout=60)
    return {name: entry.value for name, entry in entries.items()}


def error_of(call):
    try:
        call()
        return None
    except KafkaException as e:
        return {"code": e.args[0].name(), "message": e.args[0].str()}


def deprecated_configs(args):
    """librdkafka test 0092: deprecated keys Kafka 3.9 accepts (and ignores) in CreateTopics,
    AlterConfigs and IncrementalAlterConfigs; an unknown key is refused naming it."""
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    create_topic(admin, args.topic, {"message.format.version": "0.10.0", "message.downconversion.enable": "false"})
    emit(step="created", configs=describe_topic(admin, args.topic))
    resource = ConfigResource(ResourceType.TOPIC, args.topic, set_config={"message.format.version": "2.8-IV1",
                                                                           "retention.ms": "3600000"})
    emit(step="alter", error=error_of(lambda: admin.alter_configs([resource])[resource].result(timeout=60)),
         configs=describe_topic(admin, args.topic))
    incremental = ConfigResource(ResourceType.TOPIC, args.topic, incremental_configs=[
        ConfigEntry("message.format.version", "3.0-IV1", incremental_operation=AlterConfigOpType.SET)])
    emit(step="incremental", error=error_of(lambda: admin.incremental_alter_configs([incremental])[incremental].result(timeout=60)),
         configs=describe_topic(admin, args.topic))
    unknown = ConfigResource(ResourceType.TOPIC, args.topic, incremental_configs=[
        ConfigEntry("no.such.topic.config", "1", incremental_operation=AlterConfigOpType.SET)])
    emit(step="unknown", error=error_of(lambda: admin.incremental_alter_configs([unknown])[unknown].result(timeout=60)))
    bad = ConfigResource(ResourceType.TOPIC, args.topic, incremental_configs=[
        ConfigEntry("message.format.version", "banana", incremental_operation=AlterConfigOpType.SET)])
    emit(step="bad-version", error=error_of(lambda: admin.incremental_alter_configs([bad])[bad].result(timeout=60)))


def record_errors(args):
    """librdkafka test 0011 (test_message_single_partition_record_fail): 100 records to a
    compacted topic, every tenth without a key. Variation 0: one batch, so the 10 keyless
    records fail with INVALID_RECORD and the other 90 with _INVALID_DIFFERENT_RECORD; variation
    1: one record per batch (batch.size=1), so the 10 fail and the 90 others are delivered."""
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    create_topic(admin, args.topic)
    # As the librdkafka test: compaction turned on by an APPEND to cleanup.policy.
    resource = ConfigResource(ResourceType.TOPIC, args.topic, incremental_configs=[
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND)])
    admin.incremental_alter_configs([resource])[resource].result(timeout=60)
    emit(step="policy", cleanup_policy=describe_topic(admin, args.topic)["cleanup.policy"])
    conf = {"bootstrap.servers": args.bootstrap, "linger.ms": 100, "message.timeout.ms": 30000}
    if args.variation == 1:
        conf["batch.size"] = 1
    producer = Producer(conf)
    outcomes = {}

    def report(err, msg):
        index = int(msg.value().decode().split("#")[1])
        outcomes[index] = err.name() if err else "OK"
        if err and index % 10 == 0 and "message" not in outcomes:
            outcomes["message"] = err.str()

    for i in range(100):
        value = f"record #{i}".encode()
        if i % 10 == 0:
            producer.produce(args.topic, value=value, partition=0, on_delivery=report)
        else:
            producer.produce(args.topic, key=value, value=value, partition=0, on_delivery=report)
    deadline = time.time() + 60
    while len([k for k in outcomes if k != "message"]) < 100 and time.time() < deadline:
        producer.poll(0.2)
    producer.flush(10)
    counts = {}
    for index, outcome in outcomes.items():
        if index != "message":
            counts[outcome] = counts.get(outcome, 0) + 1
    emit(step="delivered", counts=counts, message=outcomes.get("message"),
         keyless=sorted({outcomes.get(i) for i in range(0, 100, 10)}),
         keyed=sorted({outcomes.get(i) for i in range(100) if i % 10 != 0}))


def describe_broker(admin, name, keys):
    """Value, source and read-only flag from confluent-kafka; the synonyms from kafka-python,
    which keeps them as the list the broker sent (confluent-kafka keys them by name, so a key's
    dynamic, static and default synonyms collapse into one)."""
    from confluent_kafka.admin import ConfigSource
    from kafka.admin import ConfigResource as KPResource, ConfigResourceType, KafkaAdminClient
    resource = ConfigResource(ResourceType.BROKER, name)
    entries = admin.describe_configs([resource], request_timeout=30)[resource].result(timeout=60)
    kp = KafkaAdminClient(bootstrap_servers=admin_bootstrap[0], request_timeout_ms=30000)
    try:
        listed = kp.describe_configs([KPResource(ConfigResourceType.BROKER, name)], include_synonyms=True,
                                     config_filter="all")["broker"][name]
    finally:
        kp.close()
    sources = {1: "DYNAMIC_TOPIC_CONFIG", 2: "DYNAMIC_BROKER_CONFIG", 3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
               4: "STATIC_BROKER_CONFIG", 5: "DEFAULT_CONFIG"}
    return {key: {"value": entry.value, "source": ConfigSource(entry.source).name, "read_only": entry.is_read_only,
                  "synonyms": [[s.get("name"), s.get("value"), sources.get(s.get("source"), s.get("source"))]
                               for s in listed.get(key, {}).get("synonyms", [])]}
            for key, entry in entries.items() if keys is None or key in keys}


admin_bootstrap = [None]


def produce_one(bootstrap, topic, size):
    producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 20000, "message.max.bytes": 10_000_000})
    result = {}
    producer.produce(topic, value=b"x" * size, on_delivery=lambda err, msg: result.update(error=err.name() if err else None))
    producer.flush(30)
    return result.get("error", "no delivery report")


def broker_configs(args):
    """Dynamic broker configs of one broker set with IncrementalAlterConfigs, described with
    their sources, applied to a topic without overrides. (Neither Python client can name the
    cluster-wide default resource "": the test sets and describes that one itself.)"""
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    admin_bootstrap[0] = args.bootstrap
    create_topic(admin, args.topic)
    keys = ["log.retention.ms", "message.max.bytes", "log.dirs", "leader.replication.throttled.rate"]
    emit(step="before", broker=describe_broker(admin, args.broker, keys), produced=produce_one(args.bootstrap, args.topic, 5000))

    def incremental(*ops):
        resource = ConfigResource(ResourceType.BROKER, args.broker, incremental_configs=[
            ConfigEntry(key, value, incremental_operation=op) for key, value, op in ops])
        return error_of(lambda: admin.incremental_alter_configs([resource])[resource].result(timeout=60))

    emit(step="set", error=incremental(("log.retention.ms", "3600000", AlterConfigOpType.SET),
                                       ("message.max.bytes", "2000", AlterConfigOpType.SET),
                                       ("leader.replication.throttled.rate", "1048576", AlterConfigOpType.SET)))
    emit(step="after", broker=describe_broker(admin, args.broker, keys), topic=describe_topic(admin, args.topic),
         produced=produce_one(args.bootstrap, args.topic, 5000), small=produce_one(args.bootstrap, args.topic, 100))
    emit(step="read-only", error=incremental(("log.dirs", "/tmp/elsewhere", AlterConfigOpType.SET)))
    emit(step="unknown", error=incremental(("no.such.broker.config", "1", AlterConfigOpType.SET)))
    emit(step="bad-value", error=incremental(("message.max.bytes", "lots", AlterConfigOpType.SET)))
    emit(step="delete", error=incremental(("message.max.bytes", None, AlterConfigOpType.DELETE)))
    emit(step="deleted", broker=describe_broker(admin, args.broker, keys), topic=describe_topic(admin, args.topic),
         produced=produce_one(args.bootstrap, args.topic, 5000))


def follower_fetch(args):
    """librdkafka 0101: a consumer with client.rack reads from the in-sync replica of its rack
    (KIP-392) — brokers N are in racks rack-N. The rack of a follower of the partition is chosen
    as the client's; librdkafka's statistics say which broker it fetches from and how many bytes
    it received from each."""
    from confluent_kafka import Consumer, TopicPartition
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    admin.create_topics([NewTopic(args.topic, 1, 3)], request_timeout=30)[args.topic].result(timeout=60)
    count = 3000
    producer = Producer({"bootstrap.servers": args.bootstrap, "acks": "all", "linger.ms": 20})
    for i in range(count):
        producer.produce(args.topic, value=b"v" * 200, key=str(i).encode(), partition=0)
        if i % 500 == 0:
            producer.poll(0)
    producer.flush(60)
    # The in-sync replicas must know the records (their high watermark) before a consumer asks.
    deadline = time.time() + 30
    while time.time() < deadline:
        partition = admin.list_topics(args.topic, timeout=10).topics[args.topic].partitions[0]
        if len(partition.isrs) == 3:
            break
        time.sleep(0.2)
    leader = partition.leader
    follower = sorted(r for r in partition.replicas if r != leader)[0]
    stats = []
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "ffr-" + args.topic,
                         "client.rack": f"rack-{follower}", "enable.auto.commit": False,
                         "statistics.interval.ms": 200, "stats_cb": lambda s: stats.append(json.loads(s)),
                         "fetch.wait.max.ms": 100})
    consumer.assign([TopicPartition(args.topic, 0, 0)])
    consumed = 0
    deadline = time.time() + 60
    while consumed < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            consumed += 1
    end = time.time() + 2
    while time.time() < end:
        consumer.poll(0.2)
    consumer.close()
    last = stats[-1] if stats else {}
    toppar = last.get("topics", {}).get(args.topic, {}).get("partitions", {}).get("0", {})
    received = {str(b.get("nodeid")): b.get("rxbytes", 0) for b in last.get("brokers", {}).values() if b.get("nodeid", -1) >= 0}
    emit(step="consumed", leader=leader, follower=follower, consumed=count if consumed >= count else consumed,
         fetching_from=toppar.get("broker"), stats_leader=toppar.get("leader"), received=received)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["deprecated-configs", "record-errors", "broker-configs", "follower-fetch"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--variation", type=int, default=0)
    parser.add_argument("--broker", default="1")
    args = parser.parse_args()
    {"deprecated-configs": deprecated_configs, "record-errors": record_errors,
     "broker-configs": broker_configs, "follower-fetch": follower_fetch}[args.scenario](args)
